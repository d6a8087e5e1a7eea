/**
 * The wasm conv-gradient kernels against the cpu backend's reference kernels.
 *
 * Error measure: relErr(a, b) = max_i |a_i − b_i| / max(1, max_i |b_i|), with b
 * the cpu reference; i.e. the worst absolute error, scaled by the reference's
 * largest magnitude when that exceeds 1. Tolerance 1e-5.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { pathCounts } from "./fixtures/trace.ts";
import { normalValues, uniformValues } from "./fixtures/values.ts";
import { registerWasmTrainingKernels } from "../wasm/kernels/register.ts";
import {
  filterGradAsConv,
  filterGradWithXAsFilter,
  forwardConvInfo,
  xAsFilterPays,
} from "../wasm/kernels/conv2d_backprop_filter.ts";

const TOL = 1e-5;

type Pad = tf.Conv2DBackpropFilterAttrs["pad"];

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  pad: Pad;
  strides?: [number, number];
  dilations?: [number, number];
  nchw?: boolean;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function label(c: Case): string {
  return `n${c.n} ${c.h}x${c.w} ci${c.ci} co${c.co} k${c.k.join("x")} pad ${
    JSON.stringify(c.pad)
  } s${(c.strides ?? [1, 1]).join(",")} d${(c.dilations ?? [1, 1]).join(",")}${
    c.nchw ? " NCHW" : ""
  }`;
}

/** Inserts d−1 zeros between filter taps: a dilated conv is a plain conv with this filter. */
function expandFilter(
  w: Float32Array,
  k: [number, number],
  ci: number,
  co: number,
  d: [number, number],
): { values: Float32Array; k: [number, number] } {
  const ek: [number, number] = [d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1];
  const out = new Float32Array(ek[0] * ek[1] * ci * co);
  const inner = ci * co;
  for (let r = 0; r < k[0]; r++) {
    for (let c = 0; c < k[1]; c++) {
      const src = (r * k[1] + c) * inner;
      const dst = (r * d[0] * ek[1] + c * d[1]) * inner;
      out.set(w.subarray(src, src + inner), dst);
    }
  }
  return { values: out, k: ek };
}

/** Keeps only the taps of an expanded-filter gradient that belong to the dilated filter. */
function sampleFilter(
  g: Float32Array,
  ek: [number, number],
  k: [number, number],
  ci: number,
  co: number,
  d: [number, number],
): Float32Array {
  const inner = ci * co;
  const out = new Float32Array(k[0] * k[1] * inner);
  for (let r = 0; r < k[0]; r++) {
    for (let c = 0; c < k[1]; c++) {
      const src = (r * d[0] * ek[1] + c * d[1]) * inner;
      out.set(g.subarray(src, src + inner), (r * k[1] + c) * inner);
    }
  }
  return out;
}

function runKernelData(
  name: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: tf.NamedAttrMap,
): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const ts: tf.NamedTensorMap = {};
    for (const [key, v] of Object.entries(inputs)) ts[key] = tf.tensor(v.values, v.shape);
    const out = tf.engine().runKernel(name, ts, attrs) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

interface GradPair {
  dW: { values: Float32Array; shape: number[] };
  dX: { values: Float32Array; shape: number[] };
}

/** Both gradients on the current backend; dilated cases use the kernels' dilations attr. */
function gradients(
  c: Case,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  useDilationAttr: boolean,
): GradPair {
  const xShape = c.nchw ? [c.n, c.ci, c.h, c.w] : [c.n, c.h, c.w, c.ci];
  const common: tf.NamedAttrMap = {
    strides: c.strides ?? [1, 1],
    pad: c.pad as tf.NamedAttrMap[string],
    dataFormat: c.nchw ? "NCHW" : "NHWC",
  };
  if (useDilationAttr && c.dilations) common.dilations = c.dilations;
  const info = forwardConvInfo(xShape, [c.k[0], c.k[1], c.ci, c.co], {
    strides: c.strides ?? [1, 1],
    pad: c.pad,
    dataFormat: c.nchw ? "NCHW" : "NHWC",
    dilations: useDilationAttr ? c.dilations : undefined,
  });
  const dyv = { values: dy, shape: info.outShape };
  const dW = runKernelData("Conv2DBackpropFilter", { x: { values: x, shape: xShape }, dy: dyv }, {
    ...common,
    filterShape: [c.k[0], c.k[1], c.ci, c.co],
  });
  const dX = runKernelData(
    "Conv2DBackpropInput",
    { dy: dyv, filter: { values: w, shape: [c.k[0], c.k[1], c.ci, c.co] } },
    { ...common, inputShape: xShape },
  );
  return { dW, dX };
}

function outShapeOf(c: Case): number[] {
  const xShape = c.nchw ? [c.n, c.ci, c.h, c.w] : [c.n, c.h, c.w, c.ci];
  return forwardConvInfo(xShape, [c.k[0], c.k[1], c.ci, c.co], {
    strides: c.strides ?? [1, 1],
    pad: c.pad,
    dataFormat: c.nchw ? "NCHW" : "NHWC",
    dilations: c.dilations,
  }).outShape;
}

/** Runs a case on wasm (ours) and on cpu (reference); returns both errors. */
async function compareCase(c: Case, seed: number): Promise<{ filter: number; input: number }> {
  const x = normalValues(c.n * c.h * c.w * c.ci, seed);
  const w = normalValues(c.k[0] * c.k[1] * c.ci * c.co, seed + 1);
  const dy = normalValues(tf.util.sizeFromShape(outShapeOf(c)), seed + 2);

  await tf.setBackend("wasm");
  const ours = gradients(c, x, w, dy, true);

  await tf.setBackend("cpu");
  let ref: GradPair;
  const d = c.dilations ?? [1, 1];
  if (d[0] === 1 && d[1] === 1) {
    ref = gradients(c, x, w, dy, false);
  } else {
    // cpu's kernels ignore dilations: use the equivalent expanded filter.
    const e = expandFilter(w, c.k, c.ci, c.co, d);
    const g = gradients({ ...c, k: e.k, dilations: undefined }, x, e.values, dy, false);
    ref = {
      dW: { values: sampleFilter(g.dW.values, e.k, c.k, c.ci, c.co, d), shape: ours.dW.shape },
      dX: g.dX,
    };
  }
  assert.deepEqual(ours.dW.shape, ref.dW.shape, `dW shape, ${label(c)}`);
  assert.deepEqual(ours.dX.shape, ref.dX.shape, `dx shape, ${label(c)}`);
  return {
    filter: relErr(ours.dW.values, ref.dW.values),
    input: relErr(ours.dX.values, ref.dX.values),
  };
}

// Stride-1 NHWC: the rewritten path.
const rewriteCases: Case[] = [
  { n: 1, h: 7, w: 7, ci: 1, co: 1, k: [1, 1], pad: "valid" },
  { n: 1, h: 7, w: 9, ci: 1, co: 3, k: [3, 3], pad: "same" },
  { n: 2, h: 8, w: 11, ci: 3, co: 16, k: [3, 3], pad: "valid" },
  { n: 3, h: 12, w: 9, ci: 16, co: 3, k: [5, 5], pad: "same" },
  { n: 4, h: 28, w: 28, ci: 1, co: 16, k: [5, 5], pad: "same" },
  { n: 4, h: 28, w: 28, ci: 16, co: 16, k: [3, 3], pad: "same" },
  { n: 2, h: 14, w: 14, ci: 16, co: 32, k: [3, 3], pad: "same" },
  { n: 2, h: 10, w: 13, ci: 3, co: 1, k: [3, 5], pad: "valid" },
  { n: 3, h: 9, w: 8, ci: 3, co: 16, k: [1, 1], pad: "same" },
  // Few input channels, many outputs: the input becomes the convolution's filter.
  { n: 2, h: 8, w: 8, ci: 3, co: 64, k: [3, 3], pad: "same" },
  { n: 2, h: 9, w: 10, ci: 3, co: 4, k: [2, 2], pad: "same" },
  { n: 2, h: 11, w: 7, ci: 3, co: 16, k: [3, 3], pad: 1 },
  { n: 1, h: 8, w: 9, ci: 16, co: 1, k: [5, 5], pad: 2 },
  { n: 2, h: 10, w: 12, ci: 3, co: 3, k: [3, 3], pad: [[0, 0], [0, 2], [1, 0], [0, 0]] },
  // Forward padding larger than k−1: the input gradient needs negative padding.
  { n: 2, h: 7, w: 8, ci: 3, co: 3, k: [3, 3], pad: [[0, 0], [3, 1], [0, 4], [0, 0]] },
  { n: 1, h: 7, w: 7, ci: 1, co: 3, k: [1, 1], pad: 2 },
  // Dilation (only through the kernels' attrs: tf.grad rejects dilated convs).
  { n: 2, h: 12, w: 11, ci: 3, co: 4, k: [3, 3], pad: "same", dilations: [2, 2] },
  { n: 1, h: 13, w: 9, ci: 1, co: 16, k: [3, 2], pad: "valid", dilations: [2, 3] },
];

// Strided (filter: dilated rewrite; input: stock wasm kernel) and NCHW (fallbacks).
const stridedCases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: [3, 3], pad: "valid", strides: [2, 2] },
  { n: 1, h: 7, w: 9, ci: 1, co: 16, k: [3, 3], pad: "same", strides: [2, 2] },
  { n: 3, h: 28, w: 28, ci: 16, co: 3, k: [5, 5], pad: "same", strides: [2, 3] },
  { n: 2, h: 11, w: 10, ci: 3, co: 3, k: [3, 3], pad: 1, strides: [3, 2] },
  { n: 2, h: 9, w: 12, ci: 3, co: 3, k: [1, 1], pad: "valid", strides: [2, 2] },
];

const nchwCases: Case[] = [
  { n: 2, h: 7, w: 9, ci: 3, co: 4, k: [3, 3], pad: "same", nchw: true },
  { n: 1, h: 8, w: 8, ci: 16, co: 3, k: [5, 5], pad: "valid", strides: [2, 2], nchw: true },
];

Deno.test("registerWasmTrainingKernels is idempotent", () => {
  const first = registerWasmTrainingKernels();
  const kernelF = tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc;
  const kernelI = tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc;
  const second = registerWasmTrainingKernels();
  assert.deepEqual(first.toSorted(), ["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
  assert.deepEqual(second, first);
  assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc, kernelF);
  assert.equal(tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc, kernelI);
});

Deno.test("stride-1 NHWC gradients match cpu (rewritten as forward convs)", async () => {
  registerWasmTrainingKernels();
  const before = [pathCounts("Conv2DBackpropFilter"), pathCounts("Conv2DBackpropInput")];
  const xAsFilterBefore = pathCounts("Conv2DBackpropFilter").xAsFilter;
  let seed = 100;
  for (const c of rewriteCases) {
    const e = await compareCase(c, seed += 10);
    assert.ok(e.filter <= TOL, `dW relErr ${e.filter} for ${label(c)}`);
    assert.ok(e.input <= TOL, `dx relErr ${e.input} for ${label(c)}`);
  }
  const after = [pathCounts("Conv2DBackpropFilter"), pathCounts("Conv2DBackpropInput")];
  assert.equal(after[0].rewrite - before[0].rewrite, rewriteCases.length);
  assert.equal(
    pathCounts("Conv2DBackpropFilter").xAsFilter - xAsFilterBefore,
    2,
    "the 3 → 16 1×1 and 3 → 64 cases",
  );
  assert.equal(after[1].rewrite - before[1].rewrite, rewriteCases.length);
  assert.equal(after[0].fallback, before[0].fallback);
  assert.equal(after[1].fallback, before[1].fallback);
});

Deno.test("filter gradient with the input as filter: bit-identical to dy as filter", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const backend = tf.backend();
  const cases: Array<[number[], number, number, number, tf.Conv2DBackpropFilterAttrs["pad"]]> = [
    [[4, 12, 12, 3], 32, 3, 3, "same"], // notebook 04's first layers, smaller
    [[2, 10, 9, 4], 40, 3, 3, "valid"],
    [[3, 8, 8, 3], 64, 5, 5, "same"],
    [[2, 9, 7, 2], 24, 4, 3, [[0, 0], [1, 2], [2, 0], [0, 0]]],
  ];
  let seed = 900;
  for (const [xShape, co, kh, kw, pad] of cases) {
    const info = forwardConvInfo(xShape, [kh, kw, xShape[3], co], {
      strides: 1,
      pad,
      dataFormat: "NHWC",
    });
    assert.ok(xAsFilterPays(info), `[${xShape}] → ${co} should take the swapped path`);
    const x = tf.tensor(normalValues(tf.util.sizeFromShape(xShape), seed++), xShape);
    const dy = tf.tensor(normalValues(tf.util.sizeFromShape(info.outShape), seed++), info.outShape);
    const read = (out: tf.TensorInfo) => {
      const values = backend.readSync(out.dataId) as Float32Array;
      assert.deepEqual(out.shape, [kh, kw, xShape[3], co]);
      backend.disposeData(out.dataId);
      return values;
    };
    const direct = read(filterGradAsConv(x, dy, info, backend));
    const swapped = read(filterGradWithXAsFilter(x, dy, info, backend));
    assert.deepEqual(
      swapped,
      direct,
      `[${xShape}] → ${co}, ${kh}×${kw}, pad ${JSON.stringify(pad)}`,
    );
    tf.dispose([x, dy]);
  }
  // One input channel, stride 2, or dy not much bigger than the input: the direct path.
  const info = (xShape: number[], co: number, strides: number) =>
    forwardConvInfo(xShape, [3, 3, xShape[3], co], { strides, pad: "same", dataFormat: "NHWC" });
  assert.equal(xAsFilterPays(info([2, 8, 8, 1], 64, 1)), false);
  assert.equal(xAsFilterPays(info([2, 8, 8, 3], 64, 2)), false);
  assert.equal(xAsFilterPays(info([2, 14, 14, 16], 32, 1)), false);
});

Deno.test("strided gradients match cpu (filter: dilated rewrite, input: stock)", async () => {
  registerWasmTrainingKernels();
  const before = [pathCounts("Conv2DBackpropFilter"), pathCounts("Conv2DBackpropInput")];
  let seed = 500;
  for (const c of stridedCases) {
    const e = await compareCase(c, seed += 10);
    assert.ok(e.filter <= TOL, `dW relErr ${e.filter} for ${label(c)}`);
    assert.ok(e.input <= TOL, `dx relErr ${e.input} for ${label(c)}`);
  }
  const after = [pathCounts("Conv2DBackpropFilter"), pathCounts("Conv2DBackpropInput")];
  assert.equal(after[0].rewrite - before[0].rewrite, stridedCases.length);
  assert.equal(after[1].fallback - before[1].fallback, stridedCases.length);
});

Deno.test("NCHW gradients match cpu (fallbacks)", async () => {
  registerWasmTrainingKernels();
  const before = [pathCounts("Conv2DBackpropFilter"), pathCounts("Conv2DBackpropInput")];
  let seed = 900;
  for (const c of nchwCases) {
    const e = await compareCase(c, seed += 10);
    assert.ok(e.filter <= TOL, `dW relErr ${e.filter} for ${label(c)}`);
    assert.ok(e.input <= TOL, `dx relErr ${e.input} for ${label(c)}`);
  }
  const after = [pathCounts("Conv2DBackpropFilter"), pathCounts("Conv2DBackpropInput")];
  assert.equal(after[0].fallback - before[0].fallback, nchwCases.length);
  assert.equal(after[1].fallback - before[1].fallback, nchwCases.length);
});

Deno.test("stride and dilation together: filter rewrite is right, input refuses", async () => {
  registerWasmTrainingKernels();
  const c: Case = {
    n: 2,
    h: 13,
    w: 12,
    ci: 3,
    co: 4,
    k: [3, 3],
    pad: "same",
    strides: [2, 2],
    dilations: [2, 2],
  };
  const x = normalValues(c.n * c.h * c.w * c.ci, 41);
  const w = normalValues(c.k[0] * c.k[1] * c.ci * c.co, 42);
  const dy = normalValues(tf.util.sizeFromShape(outShapeOf(c)), 43);
  await tf.setBackend("wasm");
  assert.throws(() => gradients(c, x, w, dy, true), /dilations > 1/);
  const xShape = [c.n, c.h, c.w, c.ci];
  const attrs = { strides: c.strides!, pad: c.pad as string, dataFormat: "NHWC" };
  const ours = runKernelData("Conv2DBackpropFilter", {
    x: { values: x, shape: xShape },
    dy: { values: dy, shape: outShapeOf(c) },
  }, { ...attrs, dilations: c.dilations!, filterShape: [3, 3, c.ci, c.co] });
  await tf.setBackend("cpu");
  const e = expandFilter(w, c.k, c.ci, c.co, c.dilations!);
  const ref = runKernelData("Conv2DBackpropFilter", {
    x: { values: x, shape: xShape },
    dy: { values: dy, shape: outShapeOf(c) },
  }, { ...attrs, filterShape: [e.k[0], e.k[1], c.ci, c.co] });
  const err = relErr(ours.values, sampleFilter(ref.values, e.k, c.k, c.ci, c.co, c.dilations!));
  assert.ok(err <= TOL, `dW relErr ${err}`);
});

Deno.test("tf.grads of conv2d agree between wasm and cpu", async () => {
  registerWasmTrainingKernels();
  const cases: Array<[number[], number[], Pad, [number, number]]> = [
    [[3, 10, 12, 3], [3, 3, 3, 16], "same", [1, 1]],
    [[2, 9, 9, 16], [5, 5, 16, 3], "valid", [1, 1]],
    [[2, 9, 10, 3], [3, 3, 3, 4], "same", [2, 2]],
  ];
  let seed = 1300;
  for (const [xs, ws, pad, strides] of cases) {
    const x = normalValues(tf.util.sizeFromShape(xs), seed++);
    const w = normalValues(tf.util.sizeFromShape(ws), seed++);
    const run = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).square().sum();
        const gs = tf.grads(f)([tf.tensor(x, xs), tf.tensor(w, ws)]);
        return gs.map((g) => g.dataSync() as Float32Array);
      });
    };
    const ours = await run("wasm");
    const ref = await run("cpu");
    for (let i = 0; i < 2; i++) {
      const e = relErr(ours[i], ref[i]);
      assert.ok(e <= TOL, `grad ${i} relErr ${e} for x ${xs} w ${ws} ${pad} s${strides}`);
    }
  }
});

Deno.test("the wasm kernels free every intermediate", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const backend = tf.backend();
  const cases: Case[] = [rewriteCases[3], rewriteCases[13], rewriteCases[15], stridedCases[0]];
  for (const c of cases) {
    // Warm once so lazily created state does not count as a leak.
    const x = normalValues(c.n * c.h * c.w * c.ci, 1);
    const w = normalValues(c.k[0] * c.k[1] * c.ci * c.co, 2);
    const dy = normalValues(tf.util.sizeFromShape(outShapeOf(c)), 3);
    gradients(c, x, w, dy, true);
    const ids = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    gradients(c, x, w, dy, true);
    assert.equal(backend.numDataIds(), ids, `data ids leaked for ${label(c)}`);
    assert.equal(tf.memory().numTensors, tensors);
  }
});

Deno.test("a tiny CNN trains on wasm", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const n = 16;
  const xs = tf.tensor4d(uniformValues(n * 10 * 10, 7), [
    n,
    10,
    10,
    1,
  ]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 3), "int32"), 3);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [10, 10, 1],
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        padding: "valid",
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 3,
        activation: "softmax",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const before = pathCounts("Conv2DBackpropFilter").rewrite;
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    losses.push(await model.trainOnBatch(xs, labels) as number);
  }
  assert.ok(pathCounts("Conv2DBackpropFilter").rewrite > before, "our filter kernel ran");
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.ok(losses[losses.length - 1] < losses[0] * 0.9, `loss did not fall: ${losses}`);
  model.dispose();
  xs.dispose();
  labels.dispose();
});
