/**
 * Transpose for the wasm backend, for the case the stock kernel handles badly:
 * when walking the output in order reads the input with a stride of 64 KiB or
 * more, every read misses the cache. Moving the channel axis of a large NHWC
 * tensor to the front (the filter gradients' perm [3,1,2,0] on notebook 04's
 * [128,32,32,128] activations) took ~600 ms that way. Here the output is
 * walked in tiles over the two axes that matter — the output's innermost axis
 * and the input's innermost axis — so reads and writes stay in cache (~5×
 * faster there). Below that stride the stock kernel is as fast or faster, and
 * serves.
 *
 * First, though: the transposes the filter gradients and dense layers ask for
 * reduce to swapping two axes of a 3-D array (see `collapseTranspose`), which
 * wasm SIMD copies do directly, 4×4 blocks at a time (simd/kernels_wat.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { simdKernelsFor } from "./simd/instance.ts";
import { asHeapBackend } from "./wasm_heap.ts";
import { trace } from "../../trace.ts";

type Numeric = Float32Array | Int32Array;

const TILE = 16;
/** Input stride (elements) of the output's innermost axis from which the tiled walk serves. */
export const TILED_MIN_STRIDE = 16384;

/** Whether `transposeInto` beats the stock kernel for this shape and perm (see above). */
export function tiledTransposeWins(shape: readonly number[], perm: readonly number[]): boolean {
  const last = perm[perm.length - 1];
  let stride = 1;
  for (let a = last + 1; a < shape.length; a++) stride *= shape[a];
  return last !== shape.length - 1 && stride >= TILED_MIN_STRIDE;
}

/** Writes `x` (shape `shape`) transposed by `perm` into `out`. Exported for tests. */
export function transposeInto(
  x: Numeric,
  shape: readonly number[],
  perm: readonly number[],
  out: Numeric,
): void {
  const rank = shape.length;
  if (rank === 0 || x.length === 0) {
    if (x.length > 0) out[0] = x[0];
    return;
  }
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  const outShape = perm.map((p) => shape[p]);
  const outStrides = new Array<number>(rank);
  outStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1] * outShape[i + 1];
  // Per output axis: how far one step along it moves in the input.
  const step = perm.map((p) => inStrides[p]);
  const L = rank - 1;
  const K = perm.indexOf(rank - 1); // output axis that is the input's innermost
  const inner = outShape[L];
  // The remaining axes are walked with an odometer; tiled axes are excluded.
  const outer = [...Array(rank).keys()].filter((a) => a !== L && a !== K);
  const index = new Array<number>(outer.length).fill(0);
  let inBase = 0;
  let outBase = 0;
  for (;;) {
    if (K === L) {
      // Innermost axes agree: one contiguous run per outer index.
      for (let l = 0; l < inner; l++) out[outBase + l] = x[inBase + l];
    } else {
      const nK = outShape[K];
      const sKout = outStrides[K];
      const sLin = step[L];
      for (let k0 = 0; k0 < nK; k0 += TILE) {
        const k1 = Math.min(nK, k0 + TILE);
        for (let l0 = 0; l0 < inner; l0 += TILE) {
          const l1 = Math.min(inner, l0 + TILE);
          for (let k = k0; k < k1; k++) {
            const o = outBase + k * sKout;
            const src = inBase + k; // step[K] is 1
            for (let l = l0; l < l1; l++) out[o + l] = x[src + l * sLin];
          }
        }
      }
    }
    // Advance the odometer over the outer axes (last one fastest).
    let a = outer.length - 1;
    for (; a >= 0; a--) {
      const axis = outer[a];
      index[a]++;
      inBase += step[axis];
      outBase += outStrides[axis];
      if (index[a] < outShape[axis]) break;
      inBase -= step[axis] * outShape[axis];
      outBase -= outStrides[axis] * outShape[axis];
      index[a] = 0;
    }
    if (a < 0) return;
  }
}

/**
 * The same transpose on fewer axes: size-1 axes dropped, and axes that stay
 * next to each other in the same order merged. [100,28,28,16] by [3,1,2,0]
 * is [100,784,16] by [2,1,0]; by [1,2,0,3] it is [100,784,16] by [1,0,2].
 */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  // Runs of output axes that are consecutive input axes become one axis.
  const groups: number[][] = [];
  for (const axis of kept) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  return {
    shape: byInput.map((g) => g.reduce((size, axis) => size * shape[axis], 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/**
 * How our SIMD copies can do this transpose, if they can: `outer` swaps the two
 * outer axes of [A,B,C] (rows of C moved whole), `outerInner` the first and
 * last ([A,C] → [C,A] is the case B = 1).
 */
export function simdTransposePlan(
  shape: readonly number[],
  perm: readonly number[],
): { kind: "outer" | "outerInner"; a: number; b: number; c: number } | undefined {
  const { shape: s, perm: p } = collapseTranspose(shape, perm);
  const key = p.join(",");
  if (key === "1,0,2" && s[2] % 4 === 0) return { kind: "outer", a: s[0], b: s[1], c: s[2] };
  if (key === "2,1,0" && s[0] % 4 === 0 && s[2] % 4 === 0) {
    return { kind: "outerInner", a: s[0], b: s[1], c: s[2] };
  }
  if (key === "1,0" && s[0] % 4 === 0 && s[1] % 4 === 0) {
    return { kind: "outerInner", a: s[0], b: 1, c: s[1] };
  }
  return undefined;
}

/** Builds the kernel function around the stock wasm Transpose, kept for other dtypes. */
export function createTransposeWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as tf.TransposeAttrs;
    const backend = asHeapBackend(args.backend);
    const usable = backend !== undefined && (x.dtype === "float32" || x.dtype === "int32") &&
      perm.length === x.shape.length && tf.util.sizeFromShape(x.shape) > 0;
    const plan = usable ? simdTransposePlan(x.shape, perm) : undefined;
    const simd = plan === undefined ? undefined : simdKernelsFor(backend);
    if (backend !== undefined && plan !== undefined && simd !== undefined) {
      trace("Transpose", "simd");
      const out = backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
      const src = backend.typedArrayFromHeap(x).byteOffset;
      const dst = backend.typedArrayFromHeap(out).byteOffset;
      const copy = plan.kind === "outer" ? simd.swapOuter : simd.swapOuterInner;
      copy(src, dst, plan.a, plan.b, plan.c);
      return out;
    }
    if (backend === undefined || !usable || !tiledTransposeWins(x.shape, perm)) {
      trace("Transpose", "fallback");
      return stock(args);
    }
    trace("Transpose", "fast");
    const out = backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
    // Views after makeOutput: an allocation may have grown (moved) the heap.
    transposeInto(
      backend.typedArrayFromHeap(x) as Numeric,
      x.shape,
      perm,
      backend.typedArrayFromHeap(out) as Numeric,
    );
    return out;
  };
}
