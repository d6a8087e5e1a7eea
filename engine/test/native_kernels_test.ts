/**
 * The native layer as tfjs kernels (wasm/native/tfjs_kernels.ts): each op against the same op
 * on the wasm path, and the fallback when the library is missing or wrong. Skipped where no
 * native library was started. (Training the lesson models on both paths is the library's test,
 * test/native_training_test.ts at the repository's root.)
 *
 * Error measure: max |native − wasm| / max(1, max |wasm|), tolerance 1e-5.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { describeBackend, ensureBackend } from "../mod.ts";
import { nativeLayer } from "../wasm/engine.ts";
import {
  installNativeKernels,
  NATIVE_KERNELS,
  type NativeKernelName,
  uninstallNativeKernels,
} from "../wasm/native/tfjs_kernels.ts";
import { traceSince, traceSnapshot } from "../trace.ts";
import { batchNormTrain } from "../ops/batch_norm_train.ts";
import { conv2dBias } from "../ops/conv2d_bias.ts";
import { normalValues } from "./fixtures/values.ts";

const TOL = 1e-5;
await ensureBackend();
const layer = nativeLayer();
const ignore = layer === undefined;
if (ignore) console.log("no native library was started here: native kernel tests skipped");

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0, scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function random(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(normalValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** `fn`'s outputs with the native kernels and with the wasm kernels; native kernel runs counted. */
function bothPaths(fn: () => tf.Tensor[]): { native: Float32Array[]; wasm: Float32Array[] } {
  const run = () =>
    tf.tidy(fn).map((t) => {
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    });
  const native = run();
  uninstallNativeKernels();
  try {
    return { native, wasm: run() };
  } finally {
    installNativeKernels(layer!.kernels);
  }
}

/**
 * The native layer's part of the trace: each kernel's native runs, and the runs it handed to wasm
 * for what it does not cover (`fallback`) or for their size (`small`), over all kernels.
 */
function nativeKernelCounts(): Record<NativeKernelName | "fallback" | "small", number> {
  const trace = traceSnapshot();
  const counts = { fallback: 0, small: 0 } as Record<
    NativeKernelName | "fallback" | "small",
    number
  >;
  for (const kernel of NATIVE_KERNELS) {
    counts[kernel] = trace[kernel]?.native ?? 0;
    counts.fallback += trace[kernel]?.["native-fallback"] ?? 0;
    counts.small += trace[kernel]?.["native-small"] ?? 0;
  }
  return counts;
}

/** How many native kernel calls `fn` made, and how many ops it left to wasm and why. */
function nativeCalls(fn: () => void): { native: number; fallback: number; small: number } {
  const before = nativeKernelCounts();
  fn();
  const after = nativeKernelCounts();
  const { fallback: f0, small: s0, ...b } = before;
  const { fallback: f1, small: s1, ...a } = after;
  const sum = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + y, 0);
  return { native: sum(a) - sum(b), fallback: f1 - f0, small: s1 - s0 };
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  pad: "same" | "valid";
  stride: number;
}

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 9, w: 7, ci: 3, co: 16, k: [3, 3], pad: "same", stride: 1 },
  { n: 1, h: 11, w: 11, ci: 1, co: 5, k: [5, 5], pad: "same", stride: 2 },
  { n: 3, h: 8, w: 10, ci: 13, co: 7, k: [1, 1], pad: "valid", stride: 1 },
  { n: 2, h: 12, w: 9, ci: 6, co: 11, k: [3, 3], pad: "valid", stride: 2 },
  { n: 1, h: 7, w: 7, ci: 16, co: 1, k: [5, 5], pad: "same", stride: 1 },
];

for (const c of CONV_CASES) {
  const name = `${c.n}×${c.h}×${c.w}×${c.ci} ⊛ ${c.k.join("×")}→${c.co} ${c.pad} s${c.stride}`;
  Deno.test({
    name: `native conv2d, its two gradients and the fused conv equal the wasm path: ${name}`,
    ignore,
    fn() {
      const x = random([c.n, c.h, c.w, c.ci], 1) as tf.Tensor4D;
      const filter = random([...c.k, c.ci, c.co], 2) as tf.Tensor4D;
      const bias = random([c.co], 3) as tf.Tensor1D;
      const ops = () => {
        const y = tf.conv2d(x, filter, c.stride, c.pad);
        const fused = tf.fused.conv2d({
          x,
          filter,
          strides: c.stride,
          pad: c.pad,
          bias,
          activation: "relu",
        });
        const dy = random(y.shape, 4) as tf.Tensor4D;
        const dx = tf.conv2dTranspose(dy, filter, x.shape, c.stride, c.pad);
        const dw = tf.grad((f: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, c.stride, c.pad), dy))
        )(filter);
        return [y, fused, dx, dw];
      };
      let out!: { native: Float32Array[]; wasm: Float32Array[] };
      const calls = nativeCalls(() => (out = bothPaths(ops)));
      assert.ok(calls.native >= 4, `the native kernels ran (${calls.native} calls)`);
      assert.equal(calls.fallback, 0);
      out.native.forEach((v, i) => {
        const e = relErr(v, out.wasm[i]);
        assert.ok(e <= TOL, `output ${i} (y, fused, dx, dw) differs by ${e}`);
      });
      tf.dispose([x, filter, bias]);
    },
  });
}

Deno.test({
  name: "native matMul equals the wasm path: four transposes, a batch, a shared b, bias + ReLU",
  ignore,
  fn() {
    const ops = () => {
      const outs: tf.Tensor[] = [];
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = random(transposeA ? [13, 5] : [5, 13], 5);
          const b = random(transposeB ? [7, 13] : [13, 7], 6);
          outs.push(tf.matMul(a, b, transposeA, transposeB));
        }
      }
      outs.push(tf.matMul(random([3, 4, 6], 7), random([3, 6, 5], 8)));
      outs.push(tf.matMul(random([3, 4, 6], 9), random([1, 6, 5], 10)));
      outs.push(
        tf.fused.matMul({
          a: random([9, 6], 11),
          b: random([6, 10], 12),
          bias: random([10], 13),
          activation: "relu",
        }),
      );
      return outs;
    };
    let out!: { native: Float32Array[]; wasm: Float32Array[] };
    const calls = nativeCalls(() => (out = bothPaths(ops)));
    assert.equal(calls.native, 7);
    out.native.forEach((v, i) => assert.ok(relErr(v, out.wasm[i]) <= TOL, `matMul ${i}`));
  },
});

/** Bit patterns, with −0 read as +0 (ReLU may give either; nothing downstream can tell). */
function bits(v: Float32Array): Uint32Array {
  return Uint32Array.from(
    new Uint32Array(v.buffer, v.byteOffset, v.length),
    (b) => b === 0x8000_0000 ? 0 : b,
  );
}

/**
 * `got` equals `want` bit for bit (−0 as 0, as `bits` reads them); a failure names the first
 * element that differs instead of diffing whole arrays (slow for large ones).
 */
function assertSameBits(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const [a, b] = [bits(got), bits(want)];
  const i = a.findIndex((v, j) => v !== b[j]);
  if (i >= 0) assert.fail(`${what}: element ${i} is ${got[i]}, not ${want[i]}`);
}

Deno.test({
  name:
    "native element-wise kernels (bias add, products, ReLU, max pool) equal the wasm path bit for bit",
  ignore,
  fn() {
    // Channel counts 13 and 16, odd spatial sizes, a row as [C] and as [1, 1, 1, C], either
    // order, and a scalar as [] and as [1, 1, 1, 1].
    const x = random([3, 29, 23, 13], 1);
    const y = random([3, 29, 23, 13], 2);
    const row = random([13], 3);
    const x16 = random([2, 31, 31, 16], 4);
    const ops = () => [
      tf.add(x, row),
      tf.add(row, x),
      tf.add(x, tf.reshape(row, [1, 1, 1, 13])),
      tf.sub(x, row),
      tf.mul(row, x),
      tf.mul(x, tf.scalar(0.37)),
      tf.sub(x, tf.reshape(tf.scalar(1.5), [1, 1, 1, 1])),
      tf.add(x, y),
      tf.sub(x, y),
      tf.mul(x, y),
      tf.relu(x),
      tf.maxPool(x16 as tf.Tensor4D, 2, 2, "valid"),
      tf.maxPool(x16 as tf.Tensor4D, 3, 2, "same"),
      tf.maxPool(x as tf.Tensor4D, 3, 1, "same"),
    ];
    let out!: { native: Float32Array[]; wasm: Float32Array[] };
    const calls = nativeCalls(() => (out = bothPaths(ops)));
    assert.deepEqual(calls, { native: 14, fallback: 0, small: 0 });
    out.native.forEach((v, i) => assert.deepEqual(bits(v), bits(out.wasm[i]), `op ${i}`));
    tf.dispose([x, y, row, x16]);
  },
});

Deno.test({
  name: "native transpose equals the wasm path bit for bit; small and int32 ones stay on wasm",
  ignore,
  fn() {
    const x4 = random([20, 7, 7, 32], 1);
    const x2 = random([300, 200], 2);
    const x5 = random([5, 6, 7, 8, 10], 3);
    const ops = () => [
      tf.transpose(x4, [0, 3, 1, 2]), // the channel-first flatten's permute
      tf.transpose(x4, [0, 2, 3, 1]),
      tf.transpose(x2),
      tf.transpose(x5, [4, 0, 2, 1, 3]),
    ];
    const before = traceSnapshot();
    const out = bothPaths(ops);
    tf.tidy(() => {
      tf.transpose(random([4, 10], 4)).dataSync(); // below NATIVE_ELEMENTWISE_MIN
      tf.transpose(tf.ones([200, 200], "int32")).dataSync();
    });
    const ran = traceSince(before).Transpose;
    assert.deepEqual([ran.native, ran["native-small"], ran["native-fallback"]], [4, 1, 1]);
    out.native.forEach((v, i) => assertSameBits(v, out.wasm[i], `case ${i}`));
    tf.dispose([x4, x2, x5]);
  },
});

Deno.test({
  name: "ReLU's gradient as one native kernel equals tfjs's dy · step(x) bit for bit",
  ignore,
  fn() {
    const x = random([4, 33, 17, 13], 1);
    const w = random([4, 33, 17, 13], 2);
    // x has exact zeros too, where step(x) is 0.
    const xz = tf.relu(random([4, 33, 17, 13], 3));
    const grads = () => [
      tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(x),
      tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(xz),
    ];
    const before = nativeKernelCounts().KdReluGrad;
    const out = bothPaths(grads);
    assert.equal(nativeKernelCounts().KdReluGrad - before, 2);
    out.native.forEach((v, i) => assert.deepEqual(bits(v), bits(out.wasm[i]), `gradient ${i}`));
    tf.dispose([x, w, xz]);
  },
});

Deno.test({
  name:
    "max pooling's gradient from oneDNN's workspace equals the wasm kernel's bit for bit, ties too",
  ignore,
  fn() {
    // ReLU'd values tie at 0 in many windows and rounded ones elsewhere: dy must go to the first
    // maximum in scan order, as tfjs's MaxPoolGrad sends it. An odd size with "same" pads has
    // windows cut by the edge; 3×3 windows with stride 2 overlap, so wasm computes theirs.
    const cases: { x: tf.Tensor4D; size: number; stride: number; pad: "valid" | "same" }[] = [
      { x: tf.relu(random([4, 28, 28, 16], 1)) as tf.Tensor4D, size: 2, stride: 2, pad: "valid" },
      { x: tf.round(random([3, 15, 13, 32], 2)) as tf.Tensor4D, size: 2, stride: 2, pad: "same" },
      { x: tf.relu(random([2, 24, 24, 16], 3)) as tf.Tensor4D, size: 3, stride: 3, pad: "valid" },
      { x: tf.relu(random([2, 24, 24, 16], 4)) as tf.Tensor4D, size: 3, stride: 2, pad: "same" },
    ];
    const grads = () =>
      cases.map(({ x, size, stride, pad }, i) => {
        const pool = (v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, size, stride, pad);
        const w = random(pool(x).shape, 10 + i);
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pool(v), w)))(x);
      });
    const before = traceSnapshot();
    const out = bothPaths(grads);
    // The wasm kernel traces its own paths under the same name, for both runs.
    const ran = traceSince(before).MaxPoolGrad;
    assert.deepEqual([ran.native, ran["native-fallback"]], [3, 1]);
    out.native.forEach((v, i) => assertSameBits(v, out.wasm[i], `case ${i}`));
    tf.dispose(cases.map((c) => c.x));
  },
});

Deno.test({
  name:
    "a training ReLU convolution (tf.fused.conv2d, as tf.layers.conv2d trains) is one native kernel, relu(conv2d + add) bit for bit, gradients too",
  ignore,
  fn() {
    const cases: [number[], number[]][] = [
      [[2, 32, 32, 3], [3, 3, 3, 16]],
      [[3, 16, 16, 16], [3, 3, 16, 16]],
      [[2, 9, 7, 5], [5, 5, 5, 8]],
    ];
    for (const [xShape, fShape] of cases) {
      const x = random(xShape, 1) as tf.Tensor4D;
      const filter = random(fShape, 2) as tf.Tensor4D;
      const bias = random([fShape[3]], 3) as tf.Tensor1D;
      const dy = random([...xShape.slice(0, 3), fShape[3]], 4) as tf.Tensor4D;
      const fused = (v: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        tf.fused.conv2d({
          x: v as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          strides: 1,
          pad: "same",
          bias: b,
          activation: "relu",
        });
      const stock = (v: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        tf.relu(tf.add(tf.conv2d(v as tf.Tensor4D, f as tf.Tensor4D, 1, "same"), b));
      const before = traceSnapshot();
      const got = tf.valueAndGrads(fused)([x, filter, bias], dy);
      const ran = traceSince(before);
      const shapes = `${xShape} ⊛ ${fShape}`;
      assert.deepEqual(ran.KdConv2DBias, { native: 1, relu: 1 }, shapes);
      assert.equal(ran.Relu, undefined, `${shapes}: no ReLU kernel of its own`);
      const want = tf.valueAndGrads(stock)([x, filter, bias], dy);
      [got.value, ...got.grads].forEach((t, i) => {
        const ref = [want.value, ...want.grads][i];
        const [a, b] = [t.dataSync() as Float32Array, ref.dataSync() as Float32Array];
        assertSameBits(a, b, `${shapes}: output ${i} (y, dx, df, db)`);
      });
      tf.dispose([x, filter, bias, dy, got.value, ...got.grads, want.value, ...want.grads]);
    }
  },
});

Deno.test({
  name:
    "a training convolution with its bias is one native kernel, equal to conv2d + add bit for bit, gradients too",
  ignore,
  fn() {
    const cases: [number[], number[]][] = [
      [[3, 13, 11, 5], [3, 3, 5, 16]],
      [[2, 28, 28, 1], [5, 5, 1, 16]],
      [[2, 14, 14, 16], [3, 3, 16, 32]],
    ];
    for (const [xShape, fShape] of cases) {
      const x = random(xShape, 1) as tf.Tensor4D;
      const filter = random(fShape, 2) as tf.Tensor4D;
      const bias = random([fShape[3]], 3);
      const w = random([...xShape.slice(0, 3), fShape[3]], 4);
      const stock = (v: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor) =>
        tf.add(tf.conv2d(v, f, 1, "same"), b);
      const loss = (conv: typeof stock) => (v: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(conv(v as tf.Tensor4D, f as tf.Tensor4D, b), w));
      const before = nativeKernelCounts();
      const [y, ...grads] = [
        conv2dBias(x, filter, bias),
        ...tf.grads(loss(conv2dBias))([x, filter, bias]),
      ];
      // Only the filter and the bias, as for a model's first layer: no input gradient runs.
      const [dfOnly, dbOnly] = tf.grads((f: tf.Tensor, b: tf.Tensor) => loss(conv2dBias)(x, f, b))(
        [filter, bias],
      );
      const after = nativeKernelCounts();
      const shapes = `${xShape} ⊛ ${fShape}`;
      assert.equal(after.KdConv2DBias - before.KdConv2DBias, 3, shapes);
      assert.equal(after.Conv2DBackpropInput - before.Conv2DBackpropInput, 1, shapes);
      const [yRef, ...gradsRef] = [
        stock(x, filter, bias),
        ...tf.grads(loss(stock))([x, filter, bias]),
      ];
      [y, ...grads, dfOnly, dbOnly].forEach((t, i) => {
        const ref = [yRef, ...gradsRef, gradsRef[1], gradsRef[2]][i];
        assert.deepEqual(t.shape, ref.shape, `${shapes}: output ${i}`);
        const got = t.dataSync() as Float32Array, want = ref.dataSync() as Float32Array;
        assert.deepEqual(bits(got), bits(want), `${shapes}: output ${i} (y, dx, df, db, df, db)`);
      });
      tf.dispose([x, filter, bias, w, y, ...grads, dfOnly, dbOnly, yRef, ...gradsRef]);
    }
  },
});

Deno.test({
  name:
    "native batch norm (training: y, mean, variance; inference; the three gradients) equals the wasm kernels",
  ignore,
  fn() {
    // Channels 13 (no vector width fits), 16, 32 and 37; NHWC with odd sizes, and a matrix.
    const shapes = [[3, 29, 23, 13], [20, 28, 28, 16], [16, 15, 13, 32], [600, 37]];
    const cases = shapes.map((shape, i) => ({
      x: random(shape, 10 + i),
      w: random(shape, 20 + i),
      gamma: random([shape[shape.length - 1]], 30 + i) as tf.Tensor1D,
      beta: random([shape[shape.length - 1]], 40 + i) as tf.Tensor1D,
    }));
    const ops = () =>
      cases.flatMap(({ x, w, gamma, beta }) => {
        const [y, mean, variance] = batchNormTrain(x, gamma, beta, 1e-5);
        // Inference, with statistics as the moving averages hold them.
        const inference = tf.batchNorm(
          x,
          tf.mul(mean, 0.9),
          tf.add(variance, 0.5),
          beta,
          gamma,
          1e-5,
        );
        const loss = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(batchNormTrain(xv, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5)[0], w));
        return [y, mean, variance, inference, ...tf.grads(loss)([x, gamma, beta])];
      });
    // Only where oneDNN has a vectorised kernel both ways; elsewhere wasm's is faster.
    const vectorised = shapes.filter((s) => {
      const channels = s[s.length - 1];
      const spatial = s.slice(1, -1).reduce((a, b) => a * b, 1);
      return layer!.kernels.batchNormVectorised({ batch: s[0], spatial, channels, epsilon: 1e-5 });
    });
    if (Deno.build.arch === "x86_64") {
      assert.ok(vectorised.length >= 2, "C = 16 and 32 have AVX2 / AVX-512 kernels");
    }
    const before = nativeKernelCounts();
    const out = bothPaths(ops);
    const after = nativeKernelCounts();
    // Each case runs the forward twice (once more inside tf.grads) and the gradient once.
    assert.equal(after.KdBatchNormTrain - before.KdBatchNormTrain, 2 * vectorised.length);
    assert.equal(after.KdBatchNormGrad - before.KdBatchNormGrad, vectorised.length);
    assert.equal(after.FusedBatchNorm - before.FusedBatchNorm, vectorised.length);
    out.native.forEach((v, i) => {
      const e = relErr(v, out.wasm[i]);
      assert.ok(e <= TOL, `case ${Math.floor(i / 7)} output ${i % 7} differs by ${e}`);
    });
    tf.dispose(cases.flatMap((c) => Object.values(c)));
  },
});

Deno.test({
  name:
    "native batch norm with ReLU equals batch norm then ReLU bit for bit: outputs and gradients",
  ignore,
  fn() {
    // Fused where oneDNN's batch norm runs (16 and 32 channels); composed where it does not
    // (13 channels, no vector width fits) or the tensor is small (2·7·7·16 values).
    const shapes = [[20, 28, 28, 16], [16, 15, 13, 32], [3, 29, 23, 13], [2, 7, 7, 16]];
    const cases = shapes.map((shape, i) => ({
      x: random(shape, 50 + i),
      w: random(shape, 60 + i),
      gamma: random([shape[shape.length - 1]], 70 + i) as tf.Tensor1D,
      beta: random([shape[shape.length - 1]], 80 + i) as tf.Tensor1D,
    }));
    const run = (relu: "fused" | "after") =>
      tf.tidy(() =>
        cases.flatMap(({ x, w, gamma, beta }) => {
          const normalise = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
            const [g1, b1] = [g as tf.Tensor1D, b as tf.Tensor1D];
            if (relu === "fused") return batchNormTrain(xv, g1, b1, 1e-5, { relu: true });
            const [y, mean, variance] = batchNormTrain(xv, g1, b1, 1e-5);
            return [tf.relu(y), mean, variance];
          };
          const loss = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(normalise(xv, g, b)[0], w));
          return [...normalise(x, gamma, beta), ...tf.grads(loss)([x, gamma, beta])];
        })
      ).map((t) => {
        const v = t.dataSync() as Float32Array;
        t.dispose();
        return v;
      });
    const before = traceSnapshot();
    const fused = run("fused");
    const paths = traceSince(before);
    const after = run("after");
    // Each case runs the forward twice (once more inside tf.grads) and the gradient once.
    assert.deepEqual(paths.KdBatchNormReluTrain, { native: 4, composed: 4 });
    assert.deepEqual(paths.KdBatchNormReluGrad, { native: 2, composed: 2 });
    assert.ok(fused[0].some((v) => v === 0) && fused[0].some((v) => v > 0), "ReLU cut some");
    fused.forEach((v, i) => assert.deepEqual(bits(v), bits(after[i]), `output ${i}`));
    tf.dispose(cases.flatMap((c) => Object.values(c)));
  },
});

Deno.test({
  name:
    "element-wise ops the native kernels leave to wasm: small tensors, a row minus a tensor, int32",
  ignore,
  fn() {
    const calls = nativeCalls(() =>
      tf.tidy(() => {
        tf.add(random([100, 10], 1), random([10], 2)).dataSync(); // below NATIVE_ELEMENTWISE_MIN
        tf.sub(random([64], 3), random([4, 16, 16, 64], 4)).dataSync(); // the row first: not a − b
        tf.add(tf.ones([200, 200], "int32"), tf.ones([200, 200], "int32")).dataSync();
        tf.relu(random([4, 10], 5)).dataSync();
      })
    );
    assert.deepEqual(calls, { native: 0, fallback: 2, small: 2 });
  },
});

Deno.test({
  name: "what the native kernels do not cover falls back to wasm (a prelu activation)",
  ignore,
  fn() {
    const calls = nativeCalls(() =>
      tf.tidy(() => {
        tf.fused.matMul({
          a: random([3, 4], 1),
          b: random([4, 2], 2),
          activation: "prelu",
          preluActivationWeights: tf.scalar(0.1),
        }).dataSync();
      })
    );
    assert.deepEqual(calls, { native: 0, fallback: 1, small: 0 });
  },
});

/** The backend line a fresh process prints with `env`. */
async function backendLine(env: Record<string, string>): Promise<string> {
  const code = `import { describeBackend, ensureBackend } from "${
    new URL("../mod.ts", import.meta.url).href
  }"; console.log(describeBackend(await ensureBackend()));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    // KD_NATIVE="" (on) unless the case sets it: CI runs this suite under KD_NATIVE=0 too.
    env: { KD_NATIVE: "", ...env, KD_DATA_DIR: await Deno.makeTempDir() },
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("a file that is not a library, or one without oneDNN's symbols, leaves the wasm path with the reason", async () => {
  const text = await Deno.makeTempFile({ suffix: ".so" });
  await Deno.writeTextFile(text, "not a library");
  const notLib = await backendLine({ KD_NATIVE_LIB: text });
  assert.match(notLib, /^backend: wasm \(SIMD, \d threads?\)/);
  assert.match(notLib, new RegExp(`no native library \\(.*${text}`));
  const libm = await backendLine({ KD_NATIVE_LIB: "libm.so.6" });
  assert.match(libm, /no native library \(.*dnnl_/);
  assert.doesNotMatch(libm, /\+ native/);
  const off = await backendLine({ KD_NATIVE: "0" });
  assert.match(off, /no native library \(KD_NATIVE=0 turns the native engine off\)/);
  await Deno.remove(text);
});

Deno.test({
  name: "the backend line names the native library and its threads",
  ignore,
  fn() {
    assert.match(
      describeBackend({ name: "wasm", reason: "test" }),
      /^backend: wasm \(SIMD, \d threads? \+ native oneDNN \d+\.\d+\.\d+, \d threads?\)/,
    );
  },
});
