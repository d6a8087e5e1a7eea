/**
 * Tile for the wasm backend. The stock kernel computes every output element's
 * source index in C; batch-norm's gradient tiles a [1,1,1,C] tensor to the
 * activation's size three times per step, which cost ~60 ms per call. Here each
 * innermost row is copied once and every axis is then replicated by doubling
 * `copyWithin` (memmove), so the cost is a few bulk copies of the output.
 */
import * as tf from "@tensorflow/tfjs";
import { asHeapBackend } from "./wasm_heap.ts";
import { trace } from "../../trace.ts";

type Numeric = Float32Array | Int32Array | Uint8Array;

/** Fills `dst[off + len .. off + len·times)` with copies of `dst[off .. off + len)`. */
function replicate(dst: Numeric, off: number, len: number, times: number): void {
  const total = len * times;
  let filled = len;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    dst.copyWithin(off + filled, off, off + n);
    filled += n;
  }
}

/**
 * Tiles `src` (shape `shape`) by `reps` into `dst`, which is `shape[i]·reps[i]`
 * along each axis, row-major. Exported for tests.
 */
export function tileInto(
  src: Numeric,
  shape: readonly number[],
  reps: readonly number[],
  dst: Numeric,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  outStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) {
    inStrides[i] = inStrides[i + 1] * shape[i + 1];
    outStrides[i] = outStrides[i + 1] * shape[i + 1] * reps[i + 1];
  }
  const last = rank - 1;
  const d = shape[last];
  const r = reps[last];
  const fill = (axis: number, inOff: number, outOff: number): void => {
    if (axis === last) {
      if (d === 1) {
        dst.fill(src[inOff], outOff, outOff + r);
        return;
      }
      if (d < 32) {
        for (let j = 0; j < d; j++) dst[outOff + j] = src[inOff + j];
      } else {
        dst.set(src.subarray(inOff, inOff + d), outOff);
      }
      replicate(dst, outOff, d, r);
      return;
    }
    const n = shape[axis];
    for (let i = 0; i < n; i++) {
      fill(axis + 1, inOff + i * inStrides[axis], outOff + i * outStrides[axis]);
    }
    replicate(dst, outOff, n * outStrides[axis], reps[axis]);
  };
  fill(0, 0, 0);
}

/** Builds the kernel function around the stock wasm Tile, kept for strings and other backends. */
export function createTileWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    const backend = asHeapBackend(args.backend);
    const ok = backend !== undefined && x.dtype !== "string" && x.dtype !== "complex64" &&
      reps.length === x.shape.length;
    if (!ok) {
      trace("Tile", "fallback");
      return stock(args);
    }
    trace("Tile", "fast");
    const outShape = x.shape.map((s, i) => s * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (tf.util.sizeFromShape(outShape) > 0) {
      // Views after makeOutput: an allocation may have grown (moved) the heap.
      tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
    }
    return out;
  };
}
