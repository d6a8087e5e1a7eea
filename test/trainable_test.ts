/**
 * A layer whose gradient the backend lacks is named when fit starts (before any batch), and the
 * check passes every model the lessons train without changing any state of it.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../lib/backend.ts";
import { createDataset } from "../lib/data/dataset.ts";
import { fit } from "../lib/distill/fit.ts";
import { checkTrainable } from "../lib/distill/trainable.ts";
import { SeededDropout } from "../lib/models/dropout.ts";
import {
  cifarDeepNN,
  cifarLightNN,
  hintRegressor,
  kerasCnnTeacher,
  mlpStudent,
  mnistStudent,
  mnistTeacher,
  tabularStudent,
  tabularTeacher,
} from "../lib/models/mod.ts";

const backend = await ensureBackend();

function depthwiseModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, name: "dw" }).apply(input);
  const flat = tf.layers.flatten().apply(dw);
  const logits = tf.layers.dense({ units: 2, name: "logits" }).apply(flat);
  return tf.model({ inputs: input, outputs: logits as tf.SymbolicTensor, name: "depthwise" });
}

Deno.test({
  name: "on wasm, a depthwise convolution is named when fit starts, before any batch",
  ignore: backend.name !== "wasm",
  async fn() {
    const model = depthwiseModel();
    const train = createDataset({
      name: "zeros",
      x: new Float32Array(16 * 8 * 8 * 3),
      y: new Uint8Array(16),
      shape: [8, 8, 3],
      classNames: ["a", "b"],
      source: "zeros",
    });
    let batches = 0;
    const before = tf.memory().numTensors;
    await assert.rejects(
      fit({
        model,
        train,
        epochs: 1,
        batchSize: 8,
        callbacks: { onBatchEnd: () => void batches++ },
      }),
      /^Error: layer "dw" \(DepthwiseConv2D\) of model "depthwise" cannot be trained on the wasm backend: Kernel 'DepthwiseConv2dNativeBackpropFilter' not registered/,
    );
    assert.equal(batches, 0);
    assert.equal(tf.memory().numTensors, before, "the probe leaked tensors");
    model.dispose();
  },
});

Deno.test("every model the lessons train passes the check, which changes none of its state", () => {
  const models = [
    mnistTeacher({ seed: 0 }),
    mnistStudent({ seed: 1 }),
    mnistTeacher({ inputShape: [32, 32, 3], seed: 0 }),
    cifarDeepNN({ seed: 42 }),
    cifarLightNN({ seed: 42 }),
    hintRegressor(),
    tabularTeacher(),
    tabularStudent(),
    kerasCnnTeacher(),
    mlpStudent(),
  ];
  const state = (m: tf.LayersModel) => ({
    // Every weight, batch-norm moving statistics included, and each dropout stream's position.
    weights: m.getWeights().map((w) => Array.from(w.dataSync())),
    dropout: m.layers.filter((l) => l instanceof SeededDropout).map((l) => l.rngState()),
  });
  const before = models.map(state);
  const tensors = tf.memory().numTensors;
  checkTrainable(models);
  assert.equal(tf.memory().numTensors, tensors, "the probe leaked tensors");
  assert.deepEqual(models.map(state), before);
  assert.ok(before[4].dropout.length > 0, "LightNN has a dropout layer to watch");
  for (const m of models) m.dispose();
});
