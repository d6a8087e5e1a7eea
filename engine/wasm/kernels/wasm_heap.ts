/**
 * Direct access to the wasm backend's heap for kernels written in JS. Some
 * wasm kernels are generic C loops (Tile, MaxPoolGrad) or transpose before
 * reducing (Sum); a JS loop over typed-array views of the heap beats them.
 */
import type * as tf from "@tensorflow/tfjs";

/** The methods of tfjs-backend-wasm's BackendWasm that our JS kernels use. */
export interface WasmHeapBackend extends tf.KernelBackend {
  /** Allocates an output on the heap (may grow memory: take views afterwards). */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view (not a copy) of a tensor's data on the heap. */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The backend as a heap backend, or undefined when it lacks the methods. */
export function asHeapBackend(backend: unknown): WasmHeapBackend | undefined {
  const b = backend as Partial<WasmHeapBackend> | undefined;
  return typeof b?.makeOutput === "function" && typeof b.typedArrayFromHeap === "function"
    ? b as WasmHeapBackend
    : undefined;
}

/** What a kernel function receives, for kernels of our own (no stock twin to wrap). */
export interface HeapKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** The heap backend a kernel of our own needs; an error naming the kernel without one. */
export function requireHeapBackend(args: HeapKernelArgs, kernelName: string): WasmHeapBackend {
  const backend = asHeapBackend(args.backend);
  if (backend === undefined) throw new Error(`${kernelName} needs the wasm backend's heap`);
  return backend;
}

/** A float32 view of a tensor on the heap; take it after every allocation. */
export function f32(backend: WasmHeapBackend, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** The single output of a kernel function (ours always return one). */
export function single(out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
  if (Array.isArray(out)) throw new Error("expected a single output");
  return out;
}

/**
 * Zeroed float64 scratch of `count` values on the heap (for wasm code that reads
 * it there), or undefined if the allocation is not 8-byte aligned. Release it
 * with `backend.disposeData(info.dataId)`; take other views after this call.
 */
export function heapScratchF64(
  backend: WasmHeapBackend,
  count: number,
): { view: Float64Array; info: tf.TensorInfo } | undefined {
  const info = backend.makeOutput([2 * count], "float32");
  const raw = f32(backend, info);
  if (raw.byteOffset % 8 !== 0) {
    backend.disposeData(info.dataId);
    return undefined;
  }
  const view = new Float64Array(raw.buffer, raw.byteOffset, count);
  view.fill(0);
  return { view, info };
}
