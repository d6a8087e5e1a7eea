/**
 * FusedAdam (lib/distill/fused_adam.ts) against tfjs's own Adam, bit for bit, on the wasm
 * engine's fused step and elsewhere. (The step itself is the engine's test,
 * engine/test/adam_update_test.ts.)
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { traceSince, traceSnapshot } from "@kd/engine";
import { onPureWasm, runs } from "./fixtures/engine.ts";
import { FusedAdam } from "../lib/distill/fused_adam.ts";
import { createRng } from "../lib/random.ts";

/** Weights and optimizer state after 20 steps of `optimizer` on a small seeded MLP. */
async function train(optimizer: tf.Optimizer): Promise<Float32Array[]> {
  const rng = createRng(3);
  const input = tf.input({ shape: [6] });
  const hidden = tf.layers.dense({
    units: 5,
    activation: "tanh",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 2 }),
  }).apply(input) as tf.SymbolicTensor;
  const output = tf.layers.dense({
    units: 3,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
  }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  const x = tf.tensor2d(Float32Array.from({ length: 8 * 6 }, () => rng.normal()), [8, 6]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);
  const step = () =>
    optimizer.minimize(() =>
      tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor)
    );
  step(); // the first step creates the moments
  const tensorsAfterFirst = tf.memory().numTensors;
  for (let i = 1; i < 20; i++) step();
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, "no tensor leaks per step");
  const state = (await optimizer.getWeights()).map((w) => w.tensor);
  const result = [...model.getWeights(), ...state].map((t) => t.dataSync() as Float32Array);
  tf.dispose([x, y, state[0]]);
  optimizer.dispose();
  model.dispose();
  return result;
}

Deno.test("FusedAdam on wasm: bit-identical weights and moments to tfjs's Adam", async () => {
  await onPureWasm(async () => {
    const stock = await train(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
    const before = traceSnapshot();
    const fused = await train(new FusedAdam(0.01, 0.9, 0.999, 1e-8));
    // 4 variables × 20 steps, each one kernel call.
    assert.equal(runs(traceSince(before), "KdAdamUpdate"), 80);
    assert.equal(fused.length, stock.length);
    fused.forEach((values, i) => assert.deepEqual(values, stock[i], `tensor ${i} differs`));
  });
});

Deno.test("FusedAdam elsewhere: the stock step runs, with the same results", async () => {
  await tf.setBackend("cpu");
  const before = traceSnapshot();
  const stock = await train(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
  const fused = await train(new FusedAdam(0.01, 0.9, 0.999, 1e-8));
  assert.equal(runs(traceSince(before), "KdAdamUpdate"), 0, "the wasm kernel did not run on cpu");
  fused.forEach((values, i) => assert.deepEqual(values, stock[i], `tensor ${i} differs`));
  await tf.setBackend("wasm");
});
