/**
 * The fused Adam step (lib/engines/wasm/kernels/adam_update.ts, lib/distill/fused_adam.ts)
 * against hand-computed numbers and against tfjs's own Adam, bit for bit.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adamUpdateCount, adamUpdateInto } from "../lib/engines/wasm/kernels/adam_update.ts";
import { registerWasmTrainingKernels } from "../lib/engines/wasm/kernels/register.ts";
import { FusedAdam } from "../lib/distill/fused_adam.ts";
import { createRng } from "../lib/random.ts";

Deno.test("adamUpdateInto: the first step moves a weight by the learning rate", () => {
  // Step 1 from zero moments: m = 0.1·g, v = 0.001·g², corrected m̂ = g, v̂ = g², so the
  // weight moves by −lr·g/(|g| + ε) ≈ −lr·sign(g) — here 1 → 0.999 and −2 → −1.999.
  const out = { value: new Float32Array(2), m: new Float32Array(2), v: new Float32Array(2) };
  adamUpdateInto(
    Float32Array.of(1, -2),
    new Float32Array(2),
    new Float32Array(2),
    Float32Array.of(0.5, -4),
    out,
    {
      beta1: 0.9,
      beta2: 0.999,
      learningRate: 0.001,
      epsilon: 1e-8,
      correction1: 0.1,
      correction2: 0.001,
    },
  );
  assert.deepEqual(Array.from(out.m), [Math.fround(0.05), Math.fround(-0.4)]);
  assert.ok(Math.abs(out.v[0] - 0.00025) < 1e-9 && Math.abs(out.v[1] - 0.016) < 1e-8);
  assert.ok(Math.abs(out.value[0] - 0.999) < 1e-6, `${out.value[0]}`);
  assert.ok(Math.abs(out.value[1] + 1.999) < 1e-6, `${out.value[1]}`);
});

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
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const stock = await train(tf.train.adam(0.01, 0.9, 0.999, 1e-8));
  const before = adamUpdateCount();
  const fused = await train(new FusedAdam(0.01, 0.9, 0.999, 1e-8));
  // 4 variables × 20 steps, each one kernel call.
  assert.equal(adamUpdateCount() - before, 80);
  assert.equal(fused.length, stock.length);
  fused.forEach((values, i) => assert.deepEqual(values, stock[i], `tensor ${i} differs`));
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
    const before = adamUpdateCount();
    const optimizer = new FusedAdam(0.001, 0.9, 0.999, 1e-8);
    const w = tf.variable(tf.tensor1d([1, -2]));
    const g = tf.tensor1d([0.5, -4]);
    // A constant gradient g: after t steps m = g(1 − 0.9ᵗ) and v = g²(1 − 0.999ᵗ), so the
    // bias-corrected step is lr·g/|g| and each weight moves by lr against its gradient's sign.
    for (let t = 0; t < 20; t++) optimizer.minimize(() => tf.sum(tf.mul(w, g)));
    assert.equal(stockSteps, 20);
    assert.equal(adamUpdateCount(), before, "the wasm kernel did not run on cpu");
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
