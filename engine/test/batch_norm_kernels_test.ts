/**
 * The fused batch-norm kernels of the wasm engine (wasm/kernels/batch_norm.ts): hand-computed
 * values, and blocked passes against one plain sweep. (The BatchNorm layer built on them is the
 * library's test, test/batch_norm_test.ts at the repository's root.)
 */
import assert from "node:assert/strict";
import { batchNormGradInto, batchNormTrainInto } from "../wasm/kernels/batch_norm.ts";
import { normalValues } from "./fixtures/values.ts";

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
  // 70 positions: two full blocks of 32 and a partial one; 5 channels.
  const C = 5, size = 70 * C;
  const x = normalValues(size, 11, 3, 2);
  const dy = normalValues(size, 12);
  const gamma = normalValues(C, 13, 1, 0.25);
  const beta = normalValues(C, 14);
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
