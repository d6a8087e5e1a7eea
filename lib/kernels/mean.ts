/**
 * Mean for the wasm backend. Like Sum, the stock kernel transposes before
 * reducing non-innermost axes; batch-norm's moments take the mean over [N,H,W]
 * twice per layer and step. Same in-place block reduction as our Sum, divided
 * by the count once at the end.
 */
import * as tf from "@tensorflow/tfjs";
import { contiguousBlock, sumMiddle } from "./sum.ts";
import { asHeapBackend } from "./wasm_heap.ts";

const counts = { fast: 0, fallback: 0 };

/** How often each path ran since start-up. */
export function meanCounts(): { fast: number; fallback: number } {
  return { ...counts };
}

/** Builds the kernel function around the stock wasm Mean (innermost axes, other dtypes). */
export function createMeanWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.MeanAttrs;
    const backend = asHeapBackend(args.backend);
    const axes = tf.util.parseAxisParam(axis, x.shape).toSorted((p, q) => p - q);
    const block = x.dtype === "float32" && new Set(axes).size === axes.length
      ? contiguousBlock(x.shape, axes)
      : undefined;
    if (backend === undefined || block === undefined || block[2] === 1 || block[1] <= 1) {
      counts.fallback++;
      return stock(args);
    }
    counts.fast++;
    const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
    const outShape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeOutput(outShape, "float32");
    const [outer, m, inner] = block;
    if (outer * inner > 0) {
      const dst = backend.typedArrayFromHeap(out) as Float32Array;
      sumMiddle(backend.typedArrayFromHeap(x) as Float32Array, outer, m, inner, dst, 1 / m);
    }
    return out;
  };
}
