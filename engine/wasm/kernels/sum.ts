/**
 * Sum for the wasm backend. The stock kernel reduces only innermost axes, so a
 * sum over [N,H,W] of an NHWC tensor (every bias and batch-norm gradient)
 * first transposes the whole tensor. Here a contiguous block of axes is summed
 * in place: the tensor is viewed as [outer, M, inner] and the M rows of each
 * outer slice are added into float64 accumulators (as the cpu backend does,
 * so results agree to float32 rounding). With the inner size divisible by 4
 * the rows are added by the wasm SIMD channel sums (simd/kernels_wat.ts),
 * which add each column in the same order: the same numbers.
 */
import * as tf from "@tensorflow/tfjs";
import { trace } from "../../trace.ts";
import { simdKernelsFor } from "./simd/instance.ts";
import { asHeapBackend, f32, heapScratchF64 } from "./wasm_heap.ts";

/** [outer, M, inner] when `axes` (sorted, unique) are one contiguous block; else undefined. */
export function contiguousBlock(
  shape: readonly number[],
  axes: readonly number[],
): [number, number, number] | undefined {
  if (axes.length === 0) return undefined;
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length) return undefined;
  const prod = (from: number, to: number) => {
    let p = 1;
    for (let i = from; i < to; i++) p *= shape[i];
    return p;
  };
  return [prod(0, first), prod(first, last + 1), prod(last + 1, shape.length)];
}

/** Sums `x` viewed as [outer, m, inner] over m, times `scale`, into `out` ([outer, inner]). */
export function sumMiddle(
  x: Float32Array,
  outer: number,
  m: number,
  inner: number,
  out: Float32Array,
  scale = 1,
): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let base = o * m * inner;
    for (let i = 0; i < m; i++, base += inner) {
      for (let c = 0; c < inner; c++) acc[c] += x[base + c];
    }
    if (scale !== 1) { for (let c = 0; c < inner; c++) acc[c] *= scale; }
    out.set(acc, o * inner);
  }
}

/** Builds the kernel function around the stock wasm Sum (innermost axes, other dtypes). */
export function createSumWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return blockReduction(stock, false);
}

/**
 * The body Sum and Mean share: a contiguous block of axes reduced in place,
 * divided by the count at the end for a mean. The trace records the path taken ("fast", and
 * "simd" too where the fast path ran as SIMD sums).
 */
export function blockReduction(
  stock: tf.KernelFunc,
  mean: boolean,
): tf.KernelFunc {
  const kernel = mean ? "Mean" : "Sum";
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const backend = asHeapBackend(args.backend);
    const axes = tf.util.parseAxisParam(axis, x.shape).toSorted((p, q) => p - q);
    const block = x.dtype === "float32" && new Set(axes).size === axes.length
      ? contiguousBlock(x.shape, axes)
      : undefined;
    // Innermost blocks (inner 1) need no transpose: the stock kernel is fine there. A mean over
    // no elements is left to the stock kernel too (its NaN).
    if (
      backend === undefined || block === undefined || block[2] === 1 || block[1] === 1 ||
      (mean && block[1] === 0)
    ) {
      trace(kernel, "fallback");
      return stock(args);
    }
    trace(kernel, "fast");
    const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
    const outShape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeOutput(outShape, "float32");
    const [outer, m, inner] = block;
    if (outer * inner === 0) return out;
    if (m === 0) {
      f32(backend, out).fill(0);
      return out;
    }
    const simd = inner % 4 === 0 ? simdKernelsFor(backend) : undefined;
    const acc = simd === undefined ? undefined : heapScratchF64(backend, inner);
    try {
      // Views after every allocation: an allocation may have grown (moved) the heap.
      const x32 = f32(backend, x), dst = f32(backend, out);
      const scale = mean ? 1 / m : 1;
      if (simd === undefined || acc === undefined) {
        sumMiddle(x32, outer, m, inner, dst, scale);
        return out;
      }
      trace(kernel, "simd");
      // The same float64 sums, channel by channel in row order, four channels per SIMD lane set.
      for (let o = 0; o < outer; o++) {
        acc.view.fill(0);
        const slice = x32.byteOffset + 4 * o * m * inner;
        simd.channelSums(m * inner, inner, slice, acc.view.byteOffset);
        if (scale !== 1) { for (let c = 0; c < inner; c++) acc.view[c] *= scale; }
        dst.set(acc.view, o * inner);
      }
      return out;
    } finally {
      if (acc !== undefined) backend.disposeData(acc.info.dataId);
    }
  };
}
