/**
 * The wasm speed kernels (wasm/kernels/register.ts, WASM_SPEED_KERNELS) against
 * the cpu backend's reference kernels, on several shapes each, including the
 * cases that fall back to the stock wasm kernel.
 *
 * Error measure: relErr(a, b) = max_i |a_i − b_i| / max(1, max_i |b_i|), with b
 * the cpu reference. Tolerance 1e-5.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { normalValues } from "./fixtures/values.ts";
import {
  registerWasmTrainingKernels,
  WASM_SPEED_KERNELS,
  type WasmSpeedKernel,
} from "../wasm/kernels/register.ts";
import { swapPays } from "../wasm/kernels/batch_mat_mul.ts";
import { tileInto } from "../wasm/kernels/tile.ts";
import { traceOf, traceSince, traceSnapshot } from "../trace.ts";
import {
  collapseTranspose,
  simdTransposePlan,
  tiledTransposeWins,
  transposeInto,
} from "../wasm/kernels/transpose.ts";

const TOL = 1e-5;

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Math.max(diff, Number.isNaN(d) ? Infinity : d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

interface Input {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype?: tf.DataType;
}

interface Result {
  values: tf.TypedArray;
  shape: number[];
  dtype: tf.DataType;
}

function runKernel(name: string, inputs: Record<string, Input>, attrs: tf.NamedAttrMap): Result {
  return tf.tidy(() => {
    const ts: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, v.dtype);
    const out = tf.engine().runKernel(name, ts, attrs) as tf.Tensor;
    return { values: out.dataSync(), shape: out.shape, dtype: out.dtype };
  });
}

/** Runs one kernel on wasm (ours) and cpu (reference); asserts shapes, dtypes and values agree. */
async function check(
  name: string,
  inputs: Record<string, Input>,
  attrs: tf.NamedAttrMap,
  what: string,
): Promise<void> {
  await tf.setBackend("wasm");
  const ours = runKernel(name, inputs, attrs);
  await tf.setBackend("cpu");
  const ref = runKernel(name, inputs, attrs);
  assert.deepEqual(ours.shape, ref.shape, `${name} shape, ${what}`);
  assert.equal(ours.dtype, ref.dtype, `${name} dtype, ${what}`);
  const e = relErr(ours.values, ref.values);
  assert.ok(e <= TOL, `${name} relErr ${e} for ${what}`);
}

function f32(shape: number[], seed: number): Input {
  return { values: normalValues(tf.util.sizeFromShape(shape), seed), shape };
}

/** One op per speed kernel that our kernel serves itself, and the path the trace must show. */
const OUR_PATHS: Record<WasmSpeedKernel, [op: () => unknown, path: string]> = {
  Tile: [() => tf.tile(tf.ones([1, 1, 1, 16]), [2, 3, 3, 1]), "fast"],
  BatchMatMul: [() => tf.matMul(tf.ones([5, 7]), tf.ones([7, 3])), "direct"],
  Sum: [() => tf.sum(tf.ones([2, 3, 3, 16]), [0, 1, 2]), "fast"],
  Mean: [() => tf.mean(tf.ones([2, 3, 3, 16]), [0, 1, 2]), "fast"],
  MaxPoolGrad: [
    () =>
      tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid"))(tf.ones([1, 4, 4, 3])),
    "fast",
  ],
  Identity: [() => tf.ones([3]).clone(), "shared"],
  Cast: [() => tf.ones([3]).cast("float32"), "shared"],
  Conv2D: [
    () => tf.conv2d(tf.ones([1, 5, 5, 3]) as tf.Tensor4D, tf.ones([3, 3, 3, 1]), 1, "same"),
    "depthwise",
  ],
  Transpose: [() => tf.transpose(tf.ones([8, 5, 3, 12]), [3, 1, 2, 0]), "simd"],
};

// tfjs-backend-wasm ships a stock kernel under each of these names, so "registered" alone would
// hold without ours: the trace shows that our kernel ran.
Deno.test("registerWasmTrainingKernels installs every speed kernel, idempotently: ours run", async () => {
  registerWasmTrainingKernels();
  const funcs = WASM_SPEED_KERNELS.map((n) => tf.getKernel(n, "wasm")?.kernelFunc);
  registerWasmTrainingKernels();
  WASM_SPEED_KERNELS.forEach((n, i) => {
    assert.equal(tf.getKernel(n, "wasm")?.kernelFunc, funcs[i], `${n} unchanged`);
  });
  await tf.setBackend("wasm");
  for (const name of WASM_SPEED_KERNELS) {
    const [op, path] = OUR_PATHS[name];
    const ran = traceOf(() => tf.tidy(() => void op()));
    assert.ok(
      (ran[name]?.[path] ?? 0) >= 1,
      `${name}: our ${path} path ran (${JSON.stringify(ran[name])})`,
    );
  }
});

Deno.test("tileInto matches a direct index computation", () => {
  const cases: Array<[number[], number[]]> = [
    [[3], [4]],
    [[1, 1, 1, 5], [2, 3, 4, 1]],
    [[2, 3], [3, 2]],
    [[2, 1, 3], [1, 4, 2]],
    [[4, 40], [2, 3]],
  ];
  for (const [shape, reps] of cases) {
    const src = Int32Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => i);
    const outShape = shape.map((s, i) => s * reps[i]);
    const dst = new Int32Array(tf.util.sizeFromShape(outShape));
    tileInto(src, shape, reps, dst);
    const outStrides = tf.util.computeStrides(outShape);
    const inStrides = tf.util.computeStrides(shape);
    for (let flat = 0; flat < dst.length; flat++) {
      let rest = flat;
      let srcIndex = 0;
      for (let a = 0; a < outShape.length; a++) {
        const idx = a < outShape.length - 1 ? Math.floor(rest / outStrides[a]) : rest;
        rest -= a < outShape.length - 1 ? idx * outStrides[a] : rest;
        srcIndex += (idx % shape[a]) * (a < shape.length - 1 ? inStrides[a] : 1);
      }
      assert.equal(dst[flat], src[srcIndex], `[${shape}] × [${reps}] at ${flat}`);
    }
  }
});

Deno.test("Tile matches cpu", async () => {
  registerWasmTrainingKernels();
  const before = traceSnapshot();
  const cases: Array<[number[], number[]]> = [
    [[1, 1, 1, 16], [100, 28, 28, 1]], // batch-norm gradient
    [[1, 1, 1, 32], [7, 14, 14, 1]],
    [[3, 5], [2, 3]],
    [[2, 1, 3, 1], [1, 4, 1, 5]],
    [[6], [7]],
    [[2, 33], [3, 1]],
  ];
  let seed = 10;
  for (const [shape, reps] of cases) {
    await check("Tile", { x: f32(shape, seed++) }, { reps }, `[${shape}] × [${reps}]`);
  }
  await check(
    "Tile",
    { x: { values: Int32Array.from([1, -2, 3, 4, 5, 6]), shape: [2, 3], dtype: "int32" } },
    { reps: [2, 2] },
    "int32 [2,3] × [2,2]",
  );
  assert.equal(traceSince(before).Tile?.fast, cases.length + 1);
});

Deno.test("BatchMatMul with transposes matches cpu", async () => {
  registerWasmTrainingKernels();
  const before = traceSnapshot();
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[100, 300], [100, 10], true, false], // dense weight gradient aᵀ·dy
    [[100, 10], [300, 10], false, true], // dense input gradient dy·bᵀ
    [[20, 30], [90, 30], false, true], // the same with b the bigger operand: computed transposed
    [[1, 64, 30], [1, 64, 20], true, false],
    [[3, 7, 5], [3, 9, 7], true, true],
    [[2, 5, 4], [1, 6, 4], false, true], // broadcast batch
    [[4, 6], [6, 3], false, false], // untransposed: stock path
  ];
  let seed = 100;
  for (const [as, bs, transposeA, transposeB] of cases) {
    await check(
      "BatchMatMul",
      { a: f32(as, seed++), b: f32(bs, seed++) },
      { transposeA, transposeB },
      `[${as}]${transposeA ? "ᵀ" : ""} · [${bs}]${transposeB ? "ᵀ" : ""}`,
    );
  }
  const d = traceSince(before).BatchMatMul ?? {};
  assert.equal(d.transposedFirst, cases.length - 1);
  assert.equal(d.direct, 1);
  assert.equal(d.swapped, 1, "only dy·bᵀ with the big b is computed transposed");
});

Deno.test("swapPays: the transposed product only where the packed operand shrinks", () => {
  // Notebook 01's dense layer, 100×1568 input, 300 units. Input gradient dy·Wᵀ: M 100, K 300,
  // N 1568. Direct: pack 470,400 + transpose W 470,400; swapped: pack dyᵀ 30,000 after
  // transposing dy 30,000, then transpose the 156,800 result.
  assert.equal(swapPays(100, 300, 1568, false, true), true);
  // Weight gradient xᵀ·dy: M 1568, K 100, N 300. Direct: pack 30,000 + transpose x 156,800;
  // swapped would pack x (156,800), transpose dy and a 470,400 result.
  assert.equal(swapPays(1568, 100, 300, true, false), false);
  // Equal costs keep the direct product.
  assert.equal(swapPays(1, 1, 1, false, false), false);
});

Deno.test("BatchMatMul computed transposed is bit-identical to the direct product", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const dy = tf.randomNormal([1, 100, 300], 0, 1, "float32", 3);
  const w = tf.randomNormal([1, 1568, 300], 0, 0.05, "float32", 4);
  const before = traceSnapshot();
  const viaSwap = tf.matMul(dy, w, false, true);
  assert.equal(traceSince(before).BatchMatMul?.swapped, 1);
  // The same product with Wᵀ made explicit takes the stock, untransposed path.
  const wT = tf.transpose(w, [0, 2, 1]);
  const direct = tf.matMul(dy, wT);
  assert.deepEqual(viaSwap.shape, [1, 100, 1568]);
  assert.deepEqual(viaSwap.dataSync(), direct.dataSync());
  tf.dispose([dy, w, viaSwap, wT, direct]);
});

const reductionCases: Array<[number[], number[] | number, boolean]> = [
  [[100, 28, 28, 16], [0, 1, 2], false], // batch-norm and bias gradients
  [[7, 14, 14, 32], [0, 1, 2], true],
  [[100, 300], [0], false], // dense bias gradient
  [[4, 5, 6, 3], [1, 2], false], // a middle block
  [[4, 5, 6], [0, 1], true],
  [[3, 4, 5], [2], false], // innermost: stock path
  [[3, 4, 5], [0, 2], false], // not contiguous: stock path
  [[3, 4, 5], -1, true],
];

Deno.test("Sum matches cpu", async () => {
  registerWasmTrainingKernels();
  const before = traceSnapshot();
  let seed = 200;
  for (const [shape, axis, keepDims] of reductionCases) {
    await check(
      "Sum",
      { x: f32(shape, seed++) },
      { axis, keepDims },
      `[${shape}] axis ${axis}${keepDims ? " keepDims" : ""}`,
    );
  }
  await check(
    "Sum",
    { x: { values: Int32Array.from({ length: 24 }, (_, i) => i - 7), shape: [2, 3, 4] } },
    { axis: [0], keepDims: false },
    "int32: stock path",
  );
  assert.equal(traceSince(before).Sum?.fast, 5);
  assert.equal(traceSince(before).Sum?.simd, 3, "inner sizes 16, 32 and 300 run as SIMD");
});

Deno.test("Mean matches cpu", async () => {
  registerWasmTrainingKernels();
  const before = traceSnapshot();
  let seed = 300;
  for (const [shape, axis, keepDims] of reductionCases) {
    await check(
      "Mean",
      { x: f32(shape, seed++) },
      { axis, keepDims },
      `[${shape}] axis ${axis}${keepDims ? " keepDims" : ""}`,
    );
  }
  assert.equal(traceSince(before).Mean?.fast, 5);
  assert.equal(traceSince(before).Mean?.simd, 3, "inner sizes 16, 32 and 300 run as SIMD");
});

Deno.test("MaxPoolGrad matches cpu, ties included", async () => {
  registerWasmTrainingKernels();
  const before = traceSnapshot();
  const cases: Array<[number[], number | [number, number], number, tf.MaxPoolGradAttrs["pad"]]> = [
    [[10, 28, 28, 16], 2, 2, "valid"], // notebook 01
    [[3, 7, 9, 5], 2, 2, "valid"], // odd size: last row/column unused
    [[3, 7, 9, 8], 2, 2, "valid"], // the same with channels for wasm SIMD
    [[2, 5, 5, 4], 2, 2, "same"], // windows past the edge: not the 2×2 path
    [[2, 9, 9, 3], 3, 2, "same"], // overlapping windows with padding
    [[2, 8, 6, 4], [3, 2], 1, "valid"],
    [[1, 5, 5, 2], 3, 1, 1],
  ];
  let seed = 400;
  for (const [shape, filterSize, strides, pad] of cases) {
    const x = f32(shape, seed++);
    // Half the inputs zero (as after a ReLU), so windows often tie.
    for (let i = 0; i < x.values.length; i++) if (x.values[i] < 0) x.values[i] = 0;
    const info = tf.backend_util.computePool2DInfo(
      shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
    );
    await check(
      "MaxPoolGrad",
      { dy: f32(info.outShape, seed++), input: x, output: f32(info.outShape, seed++) },
      { filterSize, strides, pad },
      `[${shape}] pool ${filterSize} stride ${strides} pad ${pad}`,
    );
  }
  assert.equal(traceSince(before).MaxPoolGrad?.fast, cases.length);
  const d = traceSince(before).MaxPoolGrad ?? {};
  assert.equal(d.twoByTwo, 3, "the first three take the 2×2 path");
  assert.equal(d.simd, 2, "channel counts divisible by 4 run as SIMD");
});

Deno.test("transposeInto equals tf.transpose for every kind of perm", async () => {
  await tf.setBackend("cpu");
  const cases: Array<[number[], number[]]> = [
    [[10, 28, 28, 16], [3, 1, 2, 0]], // a filter gradient's input
    [[10, 28, 28, 16], [1, 2, 0, 3]], // its dy: innermost axes agree, runs copied
    [[4, 7, 7, 32], [0, 3, 1, 2]], // flatten in channel-first order
    [[37, 19], [1, 0]], // tiles with ragged edges
    [[3, 5, 2, 7, 4], [4, 0, 3, 1, 2]],
    [[6], [0]],
  ];
  let seed = 500;
  for (const [shape, perm] of cases) {
    const x = normalValues(tf.util.sizeFromShape(shape), seed++);
    const out = new Float32Array(x.length);
    transposeInto(x, shape, perm, out);
    const ref = tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync());
    assert.deepEqual(out, ref, `[${shape}] perm [${perm}]`);
  }
  await tf.setBackend("wasm");
});

Deno.test("Transpose on wasm: the tiled walk serves large strides only, and matches cpu", async () => {
  registerWasmTrainingKernels();
  assert.equal(tiledTransposeWins([128, 32, 32, 128], [3, 1, 2, 0]), true);
  assert.equal(tiledTransposeWins([100, 28, 28, 16], [3, 1, 2, 0]), false, "stride 12,544");
  assert.equal(tiledTransposeWins([128, 32, 32, 64], [1, 2, 0, 3]), false, "innermost kept");
  const before = traceSnapshot();
  // Stride of the output's innermost axis: 2·2·4,100 = 16,400 elements ≥ 16,384.
  await check("Transpose", { x: f32([3, 2, 2, 4100], 510) }, { perm: [3, 1, 2, 0] }, "tiled");
  await check("Transpose", { x: f32([10, 28, 28, 16], 511) }, { perm: [3, 1, 2, 0] }, "stock");
  const ints = {
    values: Int32Array.from({ length: 3 * 4100 }, (_, i) => i),
    shape: [3, 4100],
    dtype: "int32" as const,
  };
  await check("Transpose", { x: ints }, { perm: [1, 0] }, "int32, stride 4,100: stock");
  // Swaps of two axes of a 3-D view, with sizes divisible by 4: SIMD copies.
  await check("Transpose", { x: f32([8, 5, 3, 12], 512) }, { perm: [3, 1, 2, 0] }, "simd C,B,A");
  await check("Transpose", { x: f32([6, 7, 7, 8], 513) }, { perm: [1, 2, 0, 3] }, "simd B,A,C");
  await check("Transpose", { x: f32([4, 1, 9, 8], 514) }, { perm: [2, 1, 0, 3] }, "size-1 axis");
  const ints2 = { ...ints, values: ints.values.subarray(0, 12 * 20), shape: [12, 20] };
  await check("Transpose", { x: ints2 }, { perm: [1, 0] }, "int32 2-D: simd");
  const d = traceSince(before).Transpose ?? {};
  assert.deepEqual([d.fast, d.fallback, d.simd], [1, 2, 4]);
});

Deno.test("collapseTranspose: drops size-1 axes and merges axes that move together", () => {
  assert.deepEqual(collapseTranspose([100, 28, 28, 16], [3, 1, 2, 0]), {
    shape: [100, 784, 16],
    perm: [2, 1, 0],
  });
  assert.deepEqual(collapseTranspose([100, 28, 28, 16], [1, 2, 0, 3]), {
    shape: [100, 784, 16],
    perm: [1, 0, 2],
  });
  assert.deepEqual(collapseTranspose([4, 1, 9, 8], [2, 1, 0, 3]), {
    shape: [4, 9, 8],
    perm: [1, 0, 2],
  });
  assert.deepEqual(collapseTranspose([2, 3, 4], [0, 1, 2]), { shape: [24], perm: [0] });
  assert.equal(simdTransposePlan([10, 28, 28, 16], [3, 1, 2, 0]), undefined, "10 rows: not ×4");
  assert.deepEqual(simdTransposePlan([1568, 300], [1, 0]), {
    kind: "outerInner",
    a: 1568,
    b: 1,
    c: 300,
  });
});

Deno.test("Conv2D with one output channel matches cpu", async () => {
  registerWasmTrainingKernels();
  const before = traceSnapshot();
  const cases: Array<[number[], number[], tf.Conv2DAttrs["pad"], number]> = [
    [[10, 28, 28, 16], [5, 5, 16, 1], "same", 1], // notebook 01's first input gradient
    [[2, 9, 11, 3], [3, 3, 3, 1], "valid", 1],
    [[2, 9, 11, 4], [3, 2, 4, 1], [[0, 0], [2, 1], [0, 3], [0, 0]], 1],
    [[2, 10, 10, 3], [3, 3, 3, 1], "same", 2],
    [[2, 9, 9, 3], [3, 3, 3, 4], "same", 1], // four outputs: stock path
  ];
  let seed = 500;
  for (const [xs, ws, pad, stride] of cases) {
    await check(
      "Conv2D",
      { x: f32(xs, seed++), filter: f32(ws, seed++) },
      {
        strides: [stride, stride],
        pad: pad as tf.NamedAttrMap[string],
        dataFormat: "NHWC",
        dilations: [1, 1],
      },
      `[${xs}] ⊛ [${ws}] pad ${JSON.stringify(pad)} stride ${stride}`,
    );
  }
  const d = traceSince(before).Conv2D ?? {};
  assert.equal(d.depthwise, cases.length - 1);
});

Deno.test("Identity and same-dtype Cast share data and stay correct", async () => {
  registerWasmTrainingKernels();
  await check("Identity", { x: f32([3, 4], 600) }, {}, "float32");
  await check("Cast", { x: f32([3, 4], 601) }, { dtype: "float32" }, "float32 → float32");
  await check("Cast", { x: f32([3, 4], 602) }, { dtype: "int32" }, "float32 → int32");
  await tf.setBackend("wasm");
  const x = tf.tensor([1, 2, 3]);
  const y = x.clone();
  x.dispose(); // the clone must survive its source
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
});

Deno.test("the speed kernels free every intermediate", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const backend = tf.backend();
  const run = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 1], 0, 1, "float32", 2);
      const m = tf.randomNormal([5, 7], 0, 1, "float32", 3);
      tf.tile(tf.sum(x, [0, 1, 2], true), [4, 8, 8, 1]).dataSync();
      tf.matMul(m, m, true, false).dataSync();
      tf.mean(x, [0, 1, 2]).dataSync();
      tf.conv2d(x, w as tf.Tensor4D, 1, "same").dataSync();
      tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, "valid").sum())(x).dataSync();
      x.clone().cast("float32").dataSync();
    });
  run();
  const ids = backend.numDataIds();
  const tensors = tf.memory().numTensors;
  run();
  assert.equal(backend.numDataIds(), ids);
  assert.equal(tf.memory().numTensors, tensors);
});
