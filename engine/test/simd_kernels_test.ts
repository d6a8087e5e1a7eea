/**
 * The wasm SIMD kernels (wasm/kernels/simd/): the committed binary is the build
 * of the committed WAT, and each kernel computes bit for bit what its JS twin
 * computes, on awkward sizes (partial blocks, scalar tails, odd pool inputs,
 * ties and NaN).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compileSimdKernels } from "../scripts/build_simd_kernels.ts";
import { SIMD_KERNELS_WASM } from "../wasm/kernels/simd/kernels_wasm.ts";
import { simdKernelsFor } from "../wasm/kernels/simd/instance.ts";
import { registerWasmTrainingKernels } from "../wasm/kernels/register.ts";
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from "../ops/batch_norm_train.ts";
import { ADAM_UPDATE, type AdamScalars } from "../ops/adam_step.ts";
import { batchNormGradInto, batchNormTrainInto } from "../wasm/kernels/batch_norm.ts";
import { adamUpdateInto } from "../wasm/kernels/adam_update.ts";
import { maxPoolGradInto } from "../wasm/kernels/max_pool_grad.ts";
import { sumMiddle } from "../wasm/kernels/sum.ts";
import { pathCounts } from "./fixtures/trace.ts";
import { normalValues } from "./fixtures/values.ts";

Deno.test("the committed SIMD binaries are the build of kernels_wat.ts", async () => {
  assert.equal(
    (await compileSimdKernels(true)).toBase64(),
    SIMD_KERNELS_WASM.shared,
    "stale: run deno task build-simd",
  );
  assert.equal(
    (await compileSimdKernels(false)).toBase64(),
    SIMD_KERNELS_WASM.unshared,
    "stale: run deno task build-simd",
  );
});

async function onWasm(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  assert.ok(simdKernelsFor(tf.backend()) !== undefined, "SIMD kernels instantiate on the heap");
}

/** Runs a kernel on wasm and reads its outputs; its inputs and outputs are freed. */
function run(name: string, inputs: () => Record<string, tf.Tensor>, attrs: object): Float32Array[] {
  return tf.tidy(() => {
    const outs = tf.engine().runKernel(name, inputs(), attrs as tf.NamedAttrMap);
    return [outs].flat().map((t) => t.dataSync() as Float32Array);
  });
}

Deno.test("batch norm: SIMD sweeps equal the JS sweeps bit for bit", async () => {
  await onWasm();
  // 70 positions (a partial block of 32) × 8 channels, and the notebook-01 teacher's shape.
  for (const [positions, C] of [[70, 8], [10 * 28 * 28, 16]]) {
    const n = positions * C;
    const x = normalValues(n, 1, 2, 3), dy = normalValues(n, 2);
    const gamma = normalValues(C, 3, 1, 0.2), beta = normalValues(C, 4);
    const js = { y: new Float32Array(n), mean: new Float32Array(C), variance: new Float32Array(C) };
    batchNormTrainInto(x, gamma, beta, 1e-3, js);
    const jsGrad = {
      dx: new Float32Array(n),
      dgamma: new Float32Array(C),
      dbeta: new Float32Array(C),
    };
    batchNormGradInto(dy, x, js.mean, js.variance, gamma, 1e-3, jsGrad);
    const t = (v: Float32Array, shape: number[]) => tf.tensor(v, shape);
    const before = pathCounts("KdBatchNormTrain").simd + pathCounts("KdBatchNormGrad").simd;
    const [y, mean, variance] = run(BATCH_NORM_TRAIN, () => ({
      x: t(x, [positions, C]),
      gamma: t(gamma, [C]),
      beta: t(beta, [C]),
    }), { epsilon: 1e-3 });
    const [dx, dgamma, dbeta] = run(BATCH_NORM_GRAD, () => ({
      dy: t(dy, [positions, C]),
      x: t(x, [positions, C]),
      mean: t(js.mean, [C]),
      variance: t(js.variance, [C]),
      gamma: t(gamma, [C]),
    }), { epsilon: 1e-3 });
    assert.equal(
      (pathCounts("KdBatchNormTrain").simd + pathCounts("KdBatchNormGrad").simd) - before,
      2,
      "both kernels took the SIMD sweeps",
    );
    assert.deepEqual([y, mean, variance], [js.y, js.mean, js.variance], `forward, C=${C}`);
    assert.deepEqual([dx, dgamma, dbeta], [jsGrad.dx, jsGrad.dgamma, jsGrad.dbeta], `grad, C=${C}`);
  }
});

Deno.test("Adam: the SIMD step equals the JS step bit for bit, scalar tail included", async () => {
  await onWasm();
  const n = 4 * 25 + 3;
  const value = normalValues(n, 5), m = normalValues(n, 6, 0, 0.01), g = normalValues(n, 8);
  const v = normalValues(n, 7, 0, 0.001).map(Math.abs);
  const s: AdamScalars = {
    beta1: 0.9,
    beta2: 0.999,
    learningRate: 0.001,
    epsilon: 1e-7,
    correction1: 1 - 0.9 ** 3,
    correction2: 1 - 0.999 ** 3,
  };
  const js = { value: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  adamUpdateInto(value, m, v, g, js, s);
  const before = pathCounts("KdAdamUpdate").simd;
  const [newValue, newM, newV] = run(ADAM_UPDATE, () => ({
    value0: tf.tensor1d(value),
    m0: tf.tensor1d(m),
    v0: tf.tensor1d(v),
    gradient0: tf.tensor1d(g),
  }), s);
  assert.equal(pathCounts("KdAdamUpdate").simd - before, 1);
  assert.deepEqual([newValue, newM, newV], [js.value, js.m, js.v]);
});

Deno.test("MaxPoolGrad 2×2: SIMD equals the JS loop, ties, NaN and odd sizes included", async () => {
  await onWasm();
  for (const shape of [[2, 6, 8, 4], [3, 7, 9, 8]] as [number, number, number, number][]) {
    const x = normalValues(tf.util.sizeFromShape(shape), 9).map((v) => v < 0 ? 0 : v);
    x[5] = NaN; // a NaN never wins a window
    x[shape[3] * 3] = x[shape[3] * 2]; // an exact tie: the first maximum wins
    const info = tf.backend_util.computePool2DInfo(shape, 2, 2, 1, "valid");
    const dy = normalValues(tf.util.sizeFromShape(info.outShape), 10);
    const js = new Float32Array(x.length);
    maxPoolGradInto(x, dy, info, js);
    const before = pathCounts("MaxPoolGrad").simd;
    const [dx] = run("MaxPoolGrad", () => ({
      dy: tf.tensor(dy, info.outShape),
      input: tf.tensor(x, shape),
      output: tf.zeros(info.outShape),
    }), { filterSize: 2, strides: 2, pad: "valid" });
    assert.equal(pathCounts("MaxPoolGrad").simd - before, 1);
    assert.deepEqual(dx, js, `[${shape}]`);
  }
});

Deno.test("Sum and Mean over middle axes: SIMD sums equal the JS sums bit for bit", async () => {
  await onWasm();
  // [outer 3, m 50, inner 8]: three slices, each a partial block.
  const shape = [3, 50, 8];
  const x = normalValues(3 * 50 * 8, 11, 1, 5);
  const js = new Float32Array(3 * 8), jsMean = new Float32Array(3 * 8);
  sumMiddle(x, 3, 50, 8, js);
  sumMiddle(x, 3, 50, 8, jsMean, 1 / 50);
  const before = pathCounts("Sum").simd;
  const [sum] = run("Sum", () => ({ x: tf.tensor(x, shape) }), { axis: [1], keepDims: false });
  const [mean] = run("Mean", () => ({ x: tf.tensor(x, shape) }), { axis: [1], keepDims: false });
  assert.equal(pathCounts("Sum").simd - before, 1);
  assert.deepEqual(sum, js);
  assert.deepEqual(mean, jsMean);
});

Deno.test("the SIMD paths free their heap scratch", async () => {
  await onWasm();
  const backend = tf.backend();
  const C = 8;
  const once = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, C], 0, 1, "float32", 1) as tf.Tensor4D;
      const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, {
        x,
        gamma: tf.ones([C]),
        beta: tf.zeros([C]),
      }, { epsilon: 1e-3 }) as tf.Tensor[];
      const grads = tf.engine().runKernel(BATCH_NORM_GRAD, {
        dy: y,
        x,
        mean,
        variance,
        gamma: tf.ones([C]),
      }, { epsilon: 1e-3 }) as tf.Tensor[];
      grads.forEach((g) => g.dataSync());
      tf.sum(x, [0, 1, 2]).dataSync();
      tf.transpose(x, [3, 1, 2, 0]).dataSync();
      tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, "valid").sum())(x).dataSync();
      const w = tf.ones([C]);
      (tf.engine().runKernel(ADAM_UPDATE, { value0: w, m0: w, v0: w, gradient0: w }, {
        beta1: 0.9,
        beta2: 0.999,
        learningRate: 0.1,
        epsilon: 1e-7,
        correction1: 0.1,
        correction2: 0.001,
      }) as tf.Tensor[]).forEach((t) => t.dataSync());
    });
  once();
  const ids = (backend as unknown as { numDataIds(): number }).numDataIds();
  const tensors = tf.memory().numTensors;
  const simdBefore = pathCounts("KdBatchNormTrain").simd + pathCounts("KdBatchNormGrad").simd;
  once();
  assert.equal(
    (pathCounts("KdBatchNormTrain").simd + pathCounts("KdBatchNormGrad").simd) - simdBefore,
    2,
    "the SIMD sweeps ran",
  );
  assert.equal((backend as unknown as { numDataIds(): number }).numDataIds(), ids);
  assert.equal(tf.memory().numTensors, tensors);
});
