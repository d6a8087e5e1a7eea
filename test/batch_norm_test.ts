/**
 * The BatchNorm layer (lib/models/batch_norm.ts) on the wasm engine's fused kernels: training
 * against tf.layers.batchNormalization, and tfjs's composed ops where the kernels are missing.
 * (The kernels themselves are the engine's tests, engine/test/batch_norm_kernels_test.ts.)
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { traceOf } from "@kd/engine";
import { onPureWasm, runs } from "./fixtures/engine.ts";
import { BatchNorm } from "../lib/models/batch_norm.ts";
import "../lib/models/custom_layers.ts"; // modelFromJSON below reads the layer back
import { createRng } from "../lib/random.ts";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    assert.ok(err <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Output, input and parameter gradients of Σ(y·w) for one training call, and the weights after. */
function trainingCall(layer: tf.layers.Layer, x: tf.Tensor4D, w: tf.Tensor4D) {
  const loss = (input: tf.Tensor) =>
    tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, w)) as tf.Scalar;
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => loss(x), vars);
  const dx = tf.grad(loss)(x);
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const result = {
    loss: value.dataSync()[0],
    y: y.dataSync(),
    dx: dx.dataSync(),
    paramGrads: vars.map((v) => grads[v.name].dataSync()),
    weights: layer.getWeights().map((t) => t.dataSync()),
  };
  tf.dispose([value, dx, y, ...Object.values(grads)]);
  return result;
}

Deno.test("BatchNorm on wasm matches tf.layers.batchNormalization: y, grads, moving stats", async () => {
  await onPureWasm(() => {
    const rng = createRng(5);
    const shape: [number, number, number, number] = [6, 4, 4, 3];
    const size = 6 * 4 * 4 * 3;
    const x = tf.tensor4d(Float32Array.from({ length: size }, () => 2 + 3 * rng.normal()), shape);
    const w = tf.tensor4d(Float32Array.from({ length: size }, () => rng.normal()), shape);
    const ours = new BatchNorm({ momentum: 0.9, epsilon: 1e-5 });
    const stock = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    const start = [[0.5, 1.5, -1], [0.1, 0, -0.2], [0, 0, 0], [1, 1, 1]].map((v) => tf.tensor1d(v));
    for (const layer of [ours, stock]) {
      layer.apply(x);
      layer.setWeights(start);
    }
    let a!: ReturnType<typeof trainingCall>;
    const ran = traceOf(() => void (a = trainingCall(ours, x, w)));
    assert.equal(runs(ran, "KdBatchNormTrain"), 3, "the fused forward ran for each training call");
    assert.equal(runs(ran, "KdBatchNormGrad"), 2, "the fused gradient ran for each gradient");
    const b = trainingCall(stock, x, w);
    close([a.loss], [b.loss], 1e-5, "loss");
    close(a.y, b.y, 1e-5, "y");
    close(a.dx, b.dx, 1e-4, "dx");
    a.paramGrads.forEach((g, i) => close(g, b.paramGrads[i], 1e-4, `d(weight ${i})`));
    // Three training calls each: the moving statistics moved the same way.
    a.weights.forEach((v, i) => close(v, b.weights[i], 1e-5, `weight ${i}`));
    // Inference uses the moving statistics.
    const [yOurs, yStock] = [ours, stock].map((l) => l.apply(x) as tf.Tensor);
    close(yOurs.dataSync(), yStock.dataSync(), 1e-5, "inference");
    tf.dispose([x, w, yOurs, yStock, ...start]);
    ours.dispose();
    stock.dispose();
  });
});

Deno.test("BatchNorm elsewhere (cpu) falls back to tfjs's ops, and survives serialisation", async () => {
  await tf.setBackend("cpu");
  try {
    const input = tf.input({ shape: [2, 2, 3] });
    const model = tf.model({
      inputs: input,
      outputs: new BatchNorm({ epsilon: 1e-3 }).apply(input) as tf.SymbolicTensor,
    });
    const x = tf.tensor4d(Array.from({ length: 24 }, (_, i) => i % 7), [2, 2, 2, 3]);
    let y!: tf.Tensor;
    const ran = traceOf(() => void (y = model.apply(x, { training: true }) as tf.Tensor));
    assert.equal(runs(ran, "KdBatchNormTrain"), 0, "no fused kernel on cpu");
    // Each channel of y is normalised: mean 0 (γ = 1, β = 0).
    const channelMeans = tf.mean(y, [0, 1, 2]).dataSync();
    close(channelMeans, [0, 0, 0], 1e-5, "channel means");
    const copy = await tf.models.modelFromJSON(
      model.toJSON(null, false) as tf.io.ModelJSON["modelTopology"] as never,
    );
    const layer = copy.layers[1] as BatchNorm;
    assert.ok(layer instanceof BatchNorm);
    assert.equal(layer.epsilon, 1e-3);
    tf.dispose([x, y]);
  } finally {
    await tf.setBackend("wasm");
  }
});

Deno.test("BatchNorm: an unknown channel count is a clear error", () => {
  assert.throws(
    () => new BatchNorm({ name: "bn_probe" }).build([null, 4, 4, null]),
    { message: "bn_probe: the channel axis (last) must have a known size" },
  );
});
