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
    // 20 steps, each one kernel call for the 4 variables.
    assert.equal(runs(traceSince(before), "KdAdamUpdate"), 20);
    assert.equal(fused.length, stock.length);
    fused.forEach((values, i) => assert.deepEqual(values, stock[i], `tensor ${i} differs`));
  });
});

Deno.test("FusedAdam elsewhere: tfjs's own step runs, and moves weights as Adam should", async () => {
  await tf.setBackend("cpu");
  // Count the stock step's calls: on cpu FusedAdam must hand every step to it.
  const stock = tf.AdamOptimizer.prototype.applyGradients;
  let stockSteps = 0;
  tf.AdamOptimizer.prototype.applyGradients = function (this: tf.AdamOptimizer, g) {
    stockSteps++;
    return stock.call(this, g);
  };
  try {
    const before = traceSnapshot();
    const optimizer = new FusedAdam(0.001, 0.9, 0.999, 1e-8);
    const w = tf.variable(tf.tensor1d([1, -2]));
    const g = tf.tensor1d([0.5, -4]);
    // A constant gradient g: after t steps m = g(1 − 0.9ᵗ) and v = g²(1 − 0.999ᵗ), so the
    // bias-corrected step is lr·g/|g| and each weight moves by lr against its gradient's sign.
    for (let t = 0; t < 20; t++) optimizer.minimize(() => tf.sum(tf.mul(w, g)));
    assert.equal(stockSteps, 20);
    assert.equal(runs(traceSince(before), "KdAdamUpdate"), 0, "the wasm kernel did not run on cpu");
    const state = await optimizer.getWeights();
    const [, m, v] = state.map((x) => Array.from(x.tensor.dataSync()));
    const close = (got: number[], want: number[], tol: number) =>
      got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < tol, `${got} vs ${want}`));
    close(Array.from(w.dataSync()), [0.98, -1.98], 1e-5);
    close(m, [0.5 * (1 - 0.9 ** 20), -4 * (1 - 0.9 ** 20)], 1e-6);
    close(v, [0.25 * (1 - 0.999 ** 20), 16 * (1 - 0.999 ** 20)], 1e-6);
    tf.dispose([w, g, state[0].tensor]);
    optimizer.dispose();
  } finally {
    tf.AdamOptimizer.prototype.applyGradients = stock;
    await tf.setBackend("wasm");
  }
});
