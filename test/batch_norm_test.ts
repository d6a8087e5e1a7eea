/**
 * The fused batch-norm kernels (lib/engines/wasm/kernels/batch_norm.ts) and the BatchNorm
 * layer (lib/models/batch_norm.ts): hand-computed values, gradients against
 * tfjs's composed moments + batchNorm, and training against
 * tf.layers.batchNormalization.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  batchNormCounts,
  batchNormGradInto,
  batchNormTrainInto,
} from "../lib/engines/wasm/kernels/batch_norm.ts";
import { registerWasmTrainingKernels } from "../lib/engines/wasm/kernels/register.ts";
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

Deno.test("batchNormTrainInto: per-channel statistics and output, by hand", () => {
  // Two channels interleaved (NHWC): channel 0 holds 1, 2, 3, 4; channel 1 holds 10 four times.
  const x = Float32Array.of(1, 10, 2, 10, 3, 10, 4, 10);
  const out = { y: new Float32Array(8), mean: new Float32Array(2), variance: new Float32Array(2) };
  batchNormTrainInto(x, Float32Array.of(2, 3), Float32Array.of(1, -1), 0.25, out);
  // Channel 0: mean 2.5, biased variance 1.25, √(1.25 + 0.25) = √1.5; y = 2·(x − 2.5)/√1.5 + 1.
  // Channel 1: variance 0, so y = 3·0/√0.25 − 1 = −1 everywhere.
  close(out.mean, [2.5, 10], 1e-7, "mean");
  close(out.variance, [1.25, 0], 1e-7, "variance");
  const y0 = [1, 2, 3, 4].map((v) => (2 * (v - 2.5)) / Math.sqrt(1.5) + 1);
  close(out.y, [y0[0], -1, y0[1], -1, y0[2], -1, y0[3], -1], 1e-6, "y");
});

Deno.test("batchNormGradInto: zero dx for a constant upstream gradient, dbeta = Σdy", () => {
  // dy = 1 everywhere: y's sum does not depend on x (normalised values sum to 0), so dx = 0;
  // dgamma = Σ x̂ = 0 and dbeta = M = 4.
  const x = Float32Array.of(1, 2, 3, 4);
  const out = { dx: new Float32Array(4), dgamma: new Float32Array(1), dbeta: new Float32Array(1) };
  batchNormGradInto(
    new Float32Array(4).fill(1),
    x,
    Float32Array.of(2.5),
    Float32Array.of(1.25),
    Float32Array.of(2),
    1e-5,
    out,
  );
  close(out.dx, [0, 0, 0, 0], 1e-6, "dx");
  close(out.dgamma, [0], 1e-6, "dgamma");
  close(out.dbeta, [4], 1e-7, "dbeta");
});

/** The kernels' formulas in one plain sweep per pass, summing each channel in position order. */
function sweepReference(
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
) {
  const C = gamma.length, M = x.length / C, eps = 1e-3;
  const mean = new Float64Array(C), sq = new Float64Array(C);
  for (let i = 0; i < x.length; i++) mean[i % C] += x[i];
  for (let k = 0; k < C; k++) mean[k] /= M;
  for (let i = 0; i < x.length; i++) sq[i % C] += (x[i] - mean[i % C]) ** 2;
  const variance = Float32Array.from(sq, (s) => s / M);
  const mean32 = Float32Array.from(mean);
  const y = x.map((v, i) => {
    const scale = gamma[i % C] / Math.sqrt(sq[i % C] / M + eps);
    return v * scale + (beta[i % C] - mean[i % C] * scale);
  });
  const sumDy = new Float64Array(C), sumDyXc = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    sumDy[i % C] += dy[i];
    sumDyXc[i % C] += dy[i] * (x[i] - mean32[i % C]);
  }
  const dx = x.map((v, i) => {
    const k = i % C, s = 1 / Math.sqrt(variance[k] + eps);
    const b = -gamma[k] * s * s * (sumDyXc[k] * s) / M;
    return gamma[k] * s * dy[i] + b * v + (-gamma[k] * s * sumDy[k] / M - b * mean32[k]);
  });
  return {
    y,
    mean: mean32,
    variance,
    dx,
    dgamma: sumDyXc.map((v, k) => v / Math.sqrt(variance[k] + eps)),
    dbeta: sumDy,
  };
}

Deno.test("batch-norm kernels: blocked passes give one plain sweep's numbers bit for bit", () => {
  const rng = createRng(11);
  // 70 positions: two full blocks of 32 and a partial one; 5 channels.
  const C = 5, size = 70 * C;
  const x = Float32Array.from({ length: size }, () => 3 + 2 * rng.normal());
  const dy = Float32Array.from({ length: size }, () => rng.normal());
  const gamma = Float32Array.from({ length: C }, () => 1 + rng.normal() / 4);
  const beta = Float32Array.from({ length: C }, () => rng.normal());
  const ref = sweepReference(x, dy, gamma, beta);
  const fwd = {
    y: new Float32Array(size),
    mean: new Float32Array(C),
    variance: new Float32Array(C),
  };
  batchNormTrainInto(x, gamma, beta, 1e-3, fwd);
  const bwd = {
    dx: new Float32Array(size),
    dgamma: new Float32Array(C),
    dbeta: new Float32Array(C),
  };
  batchNormGradInto(dy, x, fwd.mean, fwd.variance, gamma, 1e-3, bwd);
  assert.deepEqual(fwd.mean, ref.mean);
  assert.deepEqual(fwd.variance, ref.variance);
  assert.deepEqual(fwd.y, ref.y);
  assert.deepEqual(bwd.dx, ref.dx);
  assert.deepEqual(bwd.dgamma, Float32Array.from(ref.dgamma));
  assert.deepEqual(bwd.dbeta, Float32Array.from(ref.dbeta));
});

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
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
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
  const before = batchNormCounts();
  const a = trainingCall(ours, x, w);
  const after = batchNormCounts();
  assert.equal(after.train - before.train, 3, "the fused forward ran for each training call");
  assert.equal(after.grad - before.grad, 2, "the fused gradient ran for each gradient");
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

Deno.test("BatchNorm elsewhere (cpu) falls back to tfjs's ops, and survives serialisation", async () => {
  await tf.setBackend("cpu");
  try {
    const input = tf.input({ shape: [2, 2, 3] });
    const model = tf.model({
      inputs: input,
      outputs: new BatchNorm({ epsilon: 1e-3 }).apply(input) as tf.SymbolicTensor,
    });
    const x = tf.tensor4d(Array.from({ length: 24 }, (_, i) => i % 7), [2, 2, 2, 3]);
    const before = batchNormCounts().train;
    const y = model.apply(x, { training: true }) as tf.Tensor;
    assert.equal(batchNormCounts().train, before, "no wasm kernel on cpu");
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
