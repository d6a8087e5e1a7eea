/**
 * The native layer of the wasm engine: tfjs kernels for the convolutions and
 * matrix products (a training convolution with its bias in one call), and for
 * the large element-wise operations around them (bias
 * add, ReLU, max pooling and its gradient, batch normalisation in training, its
 * gradient and at inference, the products and differences of the backward pass,
 * transposes),
 * run by oneDNN (onednn/) in place on the wasm heap. Every other kernel stays
 * on wasm, and each native kernel falls back to the wasm kernel it replaces for
 * what it does not cover (other dtypes, NCHW, groups, activations other than
 * ReLU, broadcasting beyond one shared operand or one row, tensors too small to
 * repay a native call).
 */
import * as tf from "@tensorflow/tfjs";
import {
  type BatchNormShape,
  type BinaryOp,
  conv2DParams,
  type OneDnnKernels,
  pool2DParams,
} from "./onednn/mod.ts";
import { asHeapBackend, type WasmHeapBackend } from "../kernels/wasm_heap.ts";
import { trace } from "../../trace.ts";
import { RELU_GRAD } from "../../ops/relu_grad.ts";
import { CONV2D_BIAS, type Conv2DBiasAttrs } from "../../ops/conv2d_bias.ts";
import { restoreFusedConv2d, routeFusedConv2d } from "./fused_conv2d_training.ts";
import {
  BATCH_NORM_GRAD,
  BATCH_NORM_RELU_GRAD,
  BATCH_NORM_RELU_TRAIN,
  BATCH_NORM_TRAIN,
  type BatchNormAttrs,
} from "../../ops/batch_norm_train.ts";

const BACKEND = "wasm";

/** The tfjs kernels the native layer replaces, each keeping the wasm kernel as its fallback. */
const WRAPPED_KERNELS = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "BatchMatMul",
  "_FusedMatMul",
  "Add",
  "Sub",
  "Multiply",
  "Relu",
  "MaxPool",
  "MaxPoolGrad",
  "Transpose",
  "FusedBatchNorm",
  BATCH_NORM_TRAIN,
  BATCH_NORM_GRAD,
] as const;
type WrappedKernelName = typeof WRAPPED_KERNELS[number];

/**
 * The kernels the native layer serves: the wrapped tfjs kernels, and kernels of
 * the project's own ops (engine/ops/) that have no wasm kernel: where the layer is
 * off, those ops compose themselves from stock kernels.
 */
export const NATIVE_KERNELS = [
  ...WRAPPED_KERNELS,
  RELU_GRAD,
  CONV2D_BIAS,
  BATCH_NORM_RELU_TRAIN,
  BATCH_NORM_RELU_GRAD,
] as const;
/** The kernels of the project's own ops, registered only while the native layer is on. */
const OWN_KERNELS = [RELU_GRAD, CONV2D_BIAS, BATCH_NORM_RELU_TRAIN, BATCH_NORM_RELU_GRAD] as const;
export type NativeKernelName = typeof NATIVE_KERNELS[number];

/**
 * A Run's answer for a tensor too small to repay a native call: wasm runs it, traced as
 * "native-small" rather than "native-fallback" (what the layer does not cover).
 */
const SMALL = Symbol("small");

type Run = (
  kernels: OneDnnKernels,
  backend: WasmHeapBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
) => tf.TensorInfo | tf.TensorInfo[] | undefined | typeof SMALL;

const f32 = (backend: WasmHeapBackend, info: tf.TensorInfo) =>
  backend.typedArrayFromHeap(info) as Float32Array;

const allFloat32 = (...infos: (tf.TensorInfo | undefined)[]) =>
  infos.every((t) => t === undefined || t.dtype === "float32");

/** Allocates the output, then runs `fill` with views taken after the allocation (it may grow the heap). */
function output(
  backend: WasmHeapBackend,
  shape: number[],
  fill: (out: Float32Array) => void,
): tf.TensorInfo {
  const out = backend.makeOutput(shape, "float32");
  fill(f32(backend, out));
  return out;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: tf.NamedAttrMap[string];
  dataFormat?: "NHWC" | "NCHW" | "channelsLast" | "channelsFirst";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad as "same" | "valid" | number,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
}

const channelsLast = (a: ConvAttrs) =>
  a.dataFormat === undefined || a.dataFormat === "NHWC" || a.dataFormat === "channelsLast";

const forward = (relu: boolean | undefined): Run => (kernels, backend, inputs, attrs) => {
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as unknown as ConvAttrs & { activation?: string };
  const activation = a.activation ?? "linear";
  if (
    !channelsLast(a) || !allFloat32(x, filter, bias) || preluActivationWeights !== undefined ||
    (activation !== "linear" && activation !== "relu") || x.shape.length !== 4 ||
    (bias !== undefined && bias.shape.length !== 1)
  ) return undefined;
  const info = convInfo(x.shape, filter.shape, a);
  if (bias !== undefined && bias.shape[0] !== info.outChannels) return undefined;
  return output(backend, info.outShape, (y) =>
    kernels.conv2dForward(
      conv2DParams(info),
      f32(backend, x),
      f32(backend, filter),
      bias === undefined ? undefined : f32(backend, bias),
      y,
      { relu: relu ?? activation === "relu" },
    ));
};

const backwardData: Run = (kernels, backend, inputs, attrs) => {
  const { dy, filter } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
  if (!channelsLast(a) || !allFloat32(dy, filter)) return undefined;
  const info = convInfo(a.inputShape, filter.shape, a);
  return output(
    backend,
    [...a.inputShape],
    (dx) =>
      kernels.conv2dBackwardData(conv2DParams(info), f32(backend, dy), f32(backend, filter), dx),
  );
};

const backwardFilter: Run = (kernels, backend, inputs, attrs) => {
  const { x, dy } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
  if (!channelsLast(a) || !allFloat32(x, dy)) return undefined;
  const info = convInfo(x.shape, a.filterShape, a);
  return output(
    backend,
    [...a.filterShape],
    (dw) => kernels.conv2dBackwardFilter(conv2DParams(info), f32(backend, x), f32(backend, dy), dw),
  );
};

const matMul: Run = (kernels, backend, inputs, attrs) => {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo>;
  const { transposeA = false, transposeB = false, activation = "linear" } = attrs as {
    transposeA?: boolean;
    transposeB?: boolean;
    activation?: string;
  };
  if (
    !allFloat32(a, b, bias) || preluActivationWeights !== undefined ||
    (activation !== "linear" && activation !== "relu") || a.shape.length < 2 ||
    b.shape.length < 2
  ) return undefined;
  const ra = a.shape.length, rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchDims = a.shape.slice(0, -2);
  const batch = tf.util.sizeFromShape(batchDims);
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  // One b shared by every a, or one b per a with the same batch dims; else wasm broadcasts.
  const sameBatch = batchB === batch &&
    (rb === 2 || b.shape.slice(0, -2).join() === batchDims.join());
  if (k !== kb || !(batchB === 1 || sameBatch) || m * n * k === 0) return undefined;
  if (bias !== undefined && tf.util.sizeFromShape(bias.shape) !== n) return undefined;
  return output(backend, [...batchDims, m, n], (c) =>
    kernels.matMul(
      f32(backend, a),
      f32(backend, b),
      c,
      { batch, m, k, n, transposeA, transposeB, batchB },
      {
        bias: bias === undefined ? undefined : f32(backend, bias),
        relu: activation === "relu",
      },
    ));
};

/**
 * Below this many elements an element-wise kernel stays on wasm: a native call
 * costs a few microseconds of FFI and thread wake-up, more than the wasm
 * kernel spends on a few thousand values.
 */
export const NATIVE_ELEMENTWISE_MIN = 16_384;

const sameShape = (a: number[], b: number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** A tensor that is one row of `columns` values: [C], [1, C], [1, 1, 1, C]… (a scalar for 1). */
const isRow = (shape: number[], columns: number) =>
  tf.util.sizeFromShape(shape) === columns &&
  (columns === 1 || shape[shape.length - 1] === columns);

const binary = (op: BinaryOp): Run => (kernels, backend, inputs) => {
  let { a, b } = inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(a, b) || a.shape.length === 0) return undefined;
  // a + b and a · b are b + a and b · a: the full operand goes first.
  if (op !== "sub" && tf.util.sizeFromShape(b.shape) > tf.util.sizeFromShape(a.shape)) {
    [a, b] = [b, a];
  }
  const n = tf.util.sizeFromShape(a.shape);
  const same = sameShape(a.shape, b.shape);
  // One value for every element is a row of one: a column of n values plus it.
  const columns = tf.util.sizeFromShape(b.shape) === 1 ? 1 : a.shape[a.shape.length - 1];
  // A row broadcast must not change the output's rank: [C] + [N, H, W, C] is [N, H, W, C].
  if (!same && !(isRow(b.shape, columns) && b.shape.length <= a.shape.length)) return undefined;
  if (n < NATIVE_ELEMENTWISE_MIN) return SMALL;
  return output(
    backend,
    [...a.shape],
    (out) =>
      kernels.binary(op, f32(backend, a), f32(backend, b), out, {
        rows: n / columns,
        columns,
        broadcastRow: !same,
      }),
  );
};

const relu: Run = (kernels, backend, inputs) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return undefined;
  if (tf.util.sizeFromShape(x.shape) < NATIVE_ELEMENTWISE_MIN) return SMALL;
  return output(backend, [...x.shape], (y) => kernels.relu(f32(backend, x), y));
};

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function poolParams(xShape: number[], a: PoolAttrs) {
  return pool2DParams(tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  ));
}

/**
 * Where each training max pooling found its maxima, by its output's data: MaxPoolGrad moves dy
 * there instead of searching the windows again. Weak, so a workspace goes with its output.
 */
const poolWorkspaces = new WeakMap<object, Uint8Array>();

/** A gradient tape is recording, so this forward pass may be differentiated. */
export function tapeRecording(): boolean {
  return (tf.engine().state as unknown as { activeTape: unknown[] | null }).activeTape !== null;
}

const maxPool: Run = (kernels, backend, inputs, attrs) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x) || x.shape.length !== 4) return undefined;
  if (tf.util.sizeFromShape(x.shape) < NATIVE_ELEMENTWISE_MIN) return SMALL;
  const p = poolParams(x.shape, attrs as unknown as PoolAttrs);
  // Disjoint windows give each input at most one dy, so the gradient moves values and sums none
  // (overlapping ones would add in oneDNN's order): only those keep a workspace, only where a
  // gradient may follow. It costs a byte per output value.
  const disjoint = p.strideHeight >= p.filterHeight && p.strideWidth >= p.filterWidth;
  const workspace = disjoint && tapeRecording()
    ? new Uint8Array(kernels.maxPoolWorkspaceBytes(p))
    : undefined;
  const out = output(
    backend,
    [p.batch, p.outHeight, p.outWidth, p.channels],
    (y) => kernels.maxPool(p, f32(backend, x), y, workspace),
  );
  if (workspace) poolWorkspaces.set(out.dataId, workspace);
  return out;
};

/** dx from the workspace the native MaxPool kept; without one (wasm pooled), the wasm kernel. */
const maxPoolGrad: Run = (kernels, backend, inputs, attrs) => {
  const { dy, input, output: y } = inputs as Record<string, tf.TensorInfo>;
  const workspace = poolWorkspaces.get(y.dataId);
  if (workspace === undefined || !allFloat32(dy)) return undefined;
  const p = poolParams(input.shape, attrs as unknown as PoolAttrs);
  return output(
    backend,
    [...input.shape],
    (dx) => kernels.maxPoolGrad(p, f32(backend, dy), workspace, dx),
  );
};

/** A float32 transpose (a model's channel-first flatten, forward and back) as a oneDNN copy. */
const transpose: Run = (kernels, backend, inputs, attrs) => {
  const { x } = inputs as Record<string, tf.TensorInfo>;
  const { perm } = attrs as unknown as { perm: number[] };
  if (!allFloat32(x) || x.shape.length === 0) return undefined;
  if (tf.util.sizeFromShape(x.shape) < NATIVE_ELEMENTWISE_MIN) return SMALL;
  return output(
    backend,
    perm.map((p) => x.shape[p]),
    (y) => kernels.transpose(x.shape, perm, f32(backend, x), y),
  );
};

/**
 * Batch norm's shape for oneDNN (x channels last: NHWC's H·W as `spatial`, or 1 for
 * a matrix), or why the native kernel does not run it: `undefined` (not float32, a
 * vector, or no vectorised oneDNN kernel for this channel count) or SMALL.
 */
function nativeBatchNorm(
  kernels: OneDnnKernels,
  x: tf.TensorInfo,
  others: tf.TensorInfo[],
  epsilon: number,
): BatchNormShape | undefined | typeof SMALL {
  if (!allFloat32(x, ...others) || x.shape.length < 2) return undefined;
  const size = tf.util.sizeFromShape(x.shape);
  if (size < NATIVE_ELEMENTWISE_MIN) return SMALL;
  const channels = x.shape[x.shape.length - 1];
  const batch = x.shape[0];
  const shape = { batch, spatial: size / (batch * channels), channels, epsilon };
  return kernels.batchNormVectorised(shape) ? shape : undefined;
}

/** Both outputs' views, taken after every allocation (each may grow the heap). */
function outputs(backend: WasmHeapBackend, shapes: number[][]): [tf.TensorInfo[], Float32Array[]] {
  const infos = shapes.map((s) => backend.makeOutput(s, "float32"));
  return [infos, infos.map((t) => f32(backend, t))];
}

const batchNormTrain: Run = (kernels, backend, inputs, attrs) => {
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const shape = nativeBatchNorm(kernels, x, [gamma, beta], epsilon);
  if (shape === undefined || shape === SMALL) return shape;
  return runBatchNormTrain(kernels, backend, shape, { x, gamma, beta });
};

/** oneDNN's training batch norm into new y, mean and variance (with a ReLU workspace, y ≥ 0). */
function runBatchNormTrain(
  kernels: OneDnnKernels,
  backend: WasmHeapBackend,
  shape: BatchNormShape,
  { x, gamma, beta }: Record<"x" | "gamma" | "beta", tf.TensorInfo>,
  reluWorkspace?: Uint8Array,
): tf.TensorInfo[] {
  const [infos, [y, mean, variance]] = outputs(backend, [x.shape, gamma.shape, gamma.shape]);
  kernels.batchNormTrain(
    shape,
    f32(backend, x),
    f32(backend, gamma),
    f32(backend, beta),
    { y, mean, variance },
    reluWorkspace,
  );
  return infos;
}

const batchNormGrad: Run = (kernels, backend, inputs, attrs) => {
  const { dy, x, mean, variance, gamma } = inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const shape = nativeBatchNorm(kernels, x, [dy, mean, variance, gamma], epsilon);
  if (shape === undefined || shape === SMALL) return shape;
  return runBatchNormGrad(kernels, backend, shape, { dy, x, mean, variance, gamma });
};

/** oneDNN's batch-norm gradients into new dx, dγ and dβ (with a ReLU workspace, dy masked by it). */
function runBatchNormGrad(
  kernels: OneDnnKernels,
  backend: WasmHeapBackend,
  shape: BatchNormShape,
  { dy, x, mean, variance, gamma }: Record<
    "dy" | "x" | "mean" | "variance" | "gamma",
    tf.TensorInfo
  >,
  reluWorkspace?: Uint8Array,
): tf.TensorInfo[] {
  const [infos, [dx, dgamma, dbeta]] = outputs(backend, [x.shape, gamma.shape, gamma.shape]);
  kernels.batchNormGrad(
    shape,
    f32(backend, dy),
    f32(backend, x),
    f32(backend, mean),
    f32(backend, variance),
    f32(backend, gamma),
    { dx, dgamma, dbeta },
    reluWorkspace,
  );
  return infos;
}

/**
 * Where each batch norm with ReLU found y > 0, by its output's data, for its gradient. Weak, so a
 * workspace goes with its output.
 */
const reluWorkspaces = new WeakMap<object, Uint8Array>();

/** The kernel registered now under `name` on wasm (a native wrapper or wasm's own). */
function registered(name: string): tf.KernelFunc {
  const kernel = tf.getKernel(name, BACKEND);
  if (kernel === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc;
}

/**
 * KdBatchNormReluTrain: one oneDNN batch norm that stores max(y, 0) and a workspace of where
 * y > 0; for a shape the native batch norm does not cover, batch norm then ReLU as registered.
 */
function batchNormReluTrainKernel(kernels: OneDnnKernels): tf.KernelFunc {
  return (args) => {
    const backend = asHeapBackend(args.backend);
    if (backend === undefined) throw new Error(`${BATCH_NORM_RELU_TRAIN} runs on wasm only`);
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
    const { epsilon } = args.attrs as unknown as BatchNormAttrs;
    const shape = nativeBatchNorm(kernels, x, [gamma, beta], epsilon);
    if (shape === undefined || shape === SMALL) {
      trace(BATCH_NORM_RELU_TRAIN, "composed");
      const [y, mean, variance] = registered(BATCH_NORM_TRAIN)(args) as tf.TensorInfo[];
      const out = registered("Relu")({ inputs: { x: y }, backend: args.backend, attrs: {} });
      backend.disposeData(y.dataId);
      return [out as tf.TensorInfo, mean, variance];
    }
    trace(BATCH_NORM_RELU_TRAIN, "native");
    const workspace = new Uint8Array(kernels.batchNormReluWorkspaceBytes(shape));
    const infos = runBatchNormTrain(kernels, backend, shape, { x, gamma, beta }, workspace);
    reluWorkspaces.set(infos[0].dataId, workspace);
    return infos;
  };
}

/**
 * KdBatchNormReluGrad: batch norm's gradients with dy zeroed where y ≤ 0, in one oneDNN pass from
 * the forward pass's workspace; without one (the forward pass was composed), ReLU's gradient then
 * batch norm's as registered.
 */
function batchNormReluGradKernel(kernels: OneDnnKernels): tf.KernelFunc {
  return (args) => {
    const backend = asHeapBackend(args.backend);
    if (backend === undefined) throw new Error(`${BATCH_NORM_RELU_GRAD} runs on wasm only`);
    const { dy, x, y, mean, variance, gamma } = args.inputs as Record<string, tf.TensorInfo>;
    const { epsilon } = args.attrs as unknown as BatchNormAttrs;
    const workspace = reluWorkspaces.get(y.dataId);
    const shape = nativeBatchNorm(kernels, x, [dy, mean, variance, gamma], epsilon);
    if (workspace === undefined || shape === undefined || shape === SMALL) {
      trace(BATCH_NORM_RELU_GRAD, "composed");
      const dyOfBatchNorm = output(
        backend,
        [...dy.shape],
        (out) => kernels.reluGrad(f32(backend, dy), f32(backend, y), out),
      );
      const grads = registered(BATCH_NORM_GRAD)({
        inputs: { dy: dyOfBatchNorm, x, mean, variance, gamma },
        backend: args.backend,
        attrs: args.attrs,
      });
      backend.disposeData(dyOfBatchNorm.dataId);
      return grads;
    }
    trace(BATCH_NORM_RELU_GRAD, "native");
    return runBatchNormGrad(kernels, backend, shape, { dy, x, mean, variance, gamma }, workspace);
  };
}

/** tf.batchNorm with given statistics (inference), each of them a [C] along the last axis. */
const fusedBatchNorm: Run = (kernels, backend, inputs, attrs) => {
  const { x, mean, variance, scale, offset } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || !mean || !variance || !scale || !offset) return undefined;
  const channels = x.shape[x.shape.length - 1];
  const stats = [mean, variance, scale, offset];
  if (!stats.every((t) => sameShape(t.shape, [channels]))) return undefined;
  const { varianceEpsilon } = attrs as { varianceEpsilon: number };
  const shape = nativeBatchNorm(kernels, x, stats, varianceEpsilon);
  if (shape === undefined || shape === SMALL) return shape;
  return output(backend, [...x.shape], (y) =>
    kernels.batchNormInference(shape, f32(backend, x), {
      mean: f32(backend, mean),
      variance: f32(backend, variance),
      gamma: f32(backend, scale),
      beta: f32(backend, offset),
    }, y));
};

/** KdReluGrad: engine/ops/relu_grad.ts calls it only for float32 tensors of one shape, large ones. */
function reluGradKernel(kernels: OneDnnKernels): tf.KernelFunc {
  return (args) => {
    const backend = asHeapBackend(args.backend);
    if (backend === undefined) throw new Error(`${RELU_GRAD} runs on the wasm backend only`);
    const { dy, x } = args.inputs as Record<string, tf.TensorInfo>;
    trace(RELU_GRAD, "native");
    return output(
      backend,
      [...x.shape],
      (dx) => kernels.reluGrad(f32(backend, dy), f32(backend, x), dx),
    );
  };
}

/**
 * KdConv2DBias: engine/ops/conv2d_bias.ts calls it only for float32 tensors with a [C] bias; with
 * `relu`, oneDNN applies ReLU to each sum as it stores it (a post-op).
 */
function conv2dBiasKernel(kernels: OneDnnKernels): tf.KernelFunc {
  const runs = { linear: forward(false), relu: forward(true) };
  const sameStride1: ConvAttrs = { strides: 1, pad: "same" };
  return (args) => {
    const backend = asHeapBackend(args.backend);
    if (backend === undefined) throw new Error(`${CONV2D_BIAS} runs on the wasm backend only`);
    const relu = (args.attrs as Partial<Conv2DBiasAttrs> | undefined)?.relu === true;
    const run = runs[relu ? "relu" : "linear"];
    const out = run(kernels, backend, args.inputs, sameStride1 as unknown as tf.NamedAttrMap);
    if (out === undefined || out === SMALL || Array.isArray(out)) {
      const shapes = Object.values(args.inputs).map((t) => `[${t?.shape}]`).join(", ");
      throw new Error(`${CONV2D_BIAS}: the native convolution does not cover ${shapes}`);
    }
    trace(CONV2D_BIAS, "native");
    if (relu) trace(CONV2D_BIAS, "relu");
    return out;
  };
}

const RUNS: Record<WrappedKernelName, Run> = {
  Conv2D: forward(false),
  FusedConv2D: forward(undefined),
  Conv2DBackpropInput: backwardData,
  Conv2DBackpropFilter: backwardFilter,
  BatchMatMul: matMul,
  _FusedMatMul: matMul,
  Add: binary("add"),
  Sub: binary("sub"),
  Multiply: binary("mul"),
  Relu: relu,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  Transpose: transpose,
  FusedBatchNorm: fusedBatchNorm,
  KdBatchNormTrain: batchNormTrain,
  KdBatchNormGrad: batchNormGrad,
};

/** The wasm kernels ours replaced, to restore them and to fall back to. */
let replaced: Map<WrappedKernelName, tf.KernelConfig> | undefined;

/**
 * Serves the `NATIVE_KERNELS` from `kernels` on the wasm backend, each falling
 * back to the wasm kernel registered before (call after the wasm engine's
 * kernels are installed). Calling again replaces the kernels object.
 */
export function installNativeKernels(kernels: OneDnnKernels): void {
  uninstallNativeKernels();
  replaced = new Map();
  routeFusedConv2d();
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: BACKEND,
    kernelFunc: reluGradKernel(kernels),
  });
  tf.registerKernel({
    kernelName: CONV2D_BIAS,
    backendName: BACKEND,
    kernelFunc: conv2dBiasKernel(kernels),
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_RELU_TRAIN,
    backendName: BACKEND,
    kernelFunc: batchNormReluTrainKernel(kernels),
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_RELU_GRAD,
    backendName: BACKEND,
    kernelFunc: batchNormReluGradKernel(kernels),
  });
  for (const name of WRAPPED_KERNELS) {
    const wasm = tf.getKernel(name, BACKEND);
    if (wasm === undefined) throw new Error(`the wasm backend has no ${name} kernel to wrap`);
    replaced.set(name, wasm);
    const run = RUNS[name];
    const kernelFunc: tf.KernelFunc = (args) => {
      const backend = asHeapBackend(args.backend);
      const out = backend && run(kernels, backend, args.inputs, args.attrs ?? {});
      if (out === undefined || out === SMALL) {
        trace(name, out === SMALL ? "native-small" : "native-fallback");
        return wasm.kernelFunc(args);
      }
      trace(name, "native");
      return out;
    };
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({
      kernelName: name,
      backendName: BACKEND,
      kernelFunc,
      setupFunc: wasm.setupFunc,
      disposeFunc: wasm.disposeFunc,
    });
  }
}

/** Puts the wasm kernels back (the native layer off); a no-op when it is not installed. */
export function uninstallNativeKernels(): void {
  if (replaced === undefined) return;
  restoreFusedConv2d();
  for (const name of OWN_KERNELS) tf.unregisterKernel(name, BACKEND);
  for (const [name, wasm] of replaced) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(wasm);
  }
  replaced = undefined;
}

/** Whether the native kernels are the ones registered now. */
export function nativeKernelsInstalled(): boolean {
  return replaced !== undefined;
}
