/**
 * The native layer of the wasm engine: tfjs kernels for the convolutions and
 * matrix products, run by oneDNN (onednn.ts) in place on the wasm heap. Every
 * other kernel stays on wasm, and each native kernel falls back to the wasm
 * kernel it replaces for what it does not cover (other dtypes, NCHW, groups,
 * activations other than ReLU, broadcasting beyond one shared operand).
 */
import * as tf from "@tensorflow/tfjs";
import { conv2DParams, type OneDnnKernels } from "./onednn.ts";
import { asHeapBackend, type WasmHeapBackend } from "../wasm/kernels/wasm_heap.ts";

const BACKEND = "wasm";

/** The tfjs kernels the native layer serves. */
export const NATIVE_KERNELS = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "BatchMatMul",
  "_FusedMatMul",
] as const;
export type NativeKernelName = typeof NATIVE_KERNELS[number];

const counts: Record<NativeKernelName | "fallback", number> = {
  Conv2D: 0,
  FusedConv2D: 0,
  Conv2DBackpropInput: 0,
  Conv2DBackpropFilter: 0,
  BatchMatMul: 0,
  _FusedMatMul: 0,
  fallback: 0,
};

/** How often each native kernel ran, and how often one fell back to wasm (tests read it). */
export function nativeKernelCounts(): Record<NativeKernelName | "fallback", number> {
  return { ...counts };
}

type Run = (
  kernels: OneDnnKernels,
  backend: WasmHeapBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
) => tf.TensorInfo | undefined;

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

const RUNS: Record<NativeKernelName, Run> = {
  Conv2D: forward(false),
  FusedConv2D: forward(undefined),
  Conv2DBackpropInput: backwardData,
  Conv2DBackpropFilter: backwardFilter,
  BatchMatMul: matMul,
  _FusedMatMul: matMul,
};

/** The wasm kernels ours replaced, to restore them and to fall back to. */
let replaced: Map<NativeKernelName, tf.KernelConfig> | undefined;

/**
 * Serves the `NATIVE_KERNELS` from `kernels` on the wasm backend, each falling
 * back to the wasm kernel registered before (call after the wasm engine's
 * kernels are installed). Calling again replaces the kernels object.
 */
export function installNativeKernels(kernels: OneDnnKernels): void {
  uninstallNativeKernels();
  replaced = new Map();
  for (const name of NATIVE_KERNELS) {
    const wasm = tf.getKernel(name, BACKEND);
    if (wasm === undefined) throw new Error(`the wasm backend has no ${name} kernel to wrap`);
    replaced.set(name, wasm);
    const run = RUNS[name];
    const kernelFunc: tf.KernelFunc = (args) => {
      const backend = asHeapBackend(args.backend);
      const out = backend && run(kernels, backend, args.inputs, args.attrs ?? {});
      if (out === undefined) {
        counts.fallback++;
        return wasm.kernelFunc(args);
      }
      counts[name]++;
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
