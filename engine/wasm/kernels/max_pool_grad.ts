/**
 * MaxPoolGrad for the wasm backend. The stock kernel visits every input pixel
 * and searches the windows covering it; here each output window finds its
 * maximum once and adds dy there, vectorised over the channels (NHWC keeps
 * them contiguous). Ties go to the first maximum in window scan order, as in
 * the cpu reference kernel. 2×2 windows over channel counts divisible by 4 run
 * as wasm SIMD on the heap (simd/kernels_wat.ts), without branches.
 */
import * as tf from "@tensorflow/tfjs";
import { simdKernelsFor } from "./simd/instance.ts";
import { asHeapBackend, f32 } from "./wasm_heap.ts";
import { trace } from "../../trace.ts";

/**
 * 2×2 windows with stride 2 and no padding (every pooling in the lessons): the
 * windows do not overlap, so each dy lands on exactly one input pixel, chosen
 * among four with the same first-maximum rule as the general loop.
 */
function maxPool2x2GradInto(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  dx: Float32Array,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } =
    info;
  dx.fill(0);
  const rowStride = W * C;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const p00 = ((n * H + 2 * i) * W + 2 * j) * C;
        const p01 = p00 + C;
        const p10 = p00 + rowStride;
        const p11 = p10 + C;
        const q = ((n * Ho + i) * Wo + j) * C;
        for (let k = 0; k < C; k++) {
          let best = x[p00 + k];
          let at = p00 + k;
          if (x[p01 + k] > best) {
            best = x[p01 + k];
            at = p01 + k;
          }
          if (x[p10 + k] > best) {
            best = x[p10 + k];
            at = p10 + k;
          }
          if (x[p11 + k] > best) at = p11 + k;
          dx[at] = dy[q + k];
        }
      }
    }
  }
}

/** 2×2 windows, stride 2, no padding on any side (every window inside the input). */
function isTwoByTwo(info: tf.backend_util.Conv2DInfo): boolean {
  return 2 * info.outHeight <= info.inHeight && 2 * info.outWidth <= info.inWidth &&
    info.effectiveFilterHeight === 2 && info.effectiveFilterWidth === 2 &&
    info.strideHeight === 2 && info.strideWidth === 2 && info.padInfo.top === 0 &&
    info.padInfo.left === 0 && info.dilationHeight === 1 && info.dilationWidth === 1;
}

/** dx (zeroed by this function) from x, dy and the pooling geometry. Exported for tests. */
export function maxPoolGradInto(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  dx: Float32Array,
): void {
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: Ho,
    outWidth: Wo,
    strideHeight: sh,
    strideWidth: sw,
    effectiveFilterHeight: fh,
    effectiveFilterWidth: fw,
  } = info;
  if (isTwoByTwo(info)) {
    trace("MaxPoolGrad", "twoByTwo");
    return maxPool2x2GradInto(x, dy, info, dx);
  }
  const { top, left } = info.padInfo;
  dx.fill(0);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    const xBase = n * H * W * C;
    for (let i = 0; i < Ho; i++) {
      const r0 = i * sh - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + fh);
      for (let j = 0; j < Wo; j++) {
        const c0 = j * sw - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let r = rMin; r < rMax; r++) {
          for (let c = cMin; c < cMax; c++) {
            const p = xBase + (r * W + c) * C;
            for (let k = 0; k < C; k++) {
              const v = x[p + k];
              if (v > best[k]) {
                best[k] = v;
                where[k] = p + k;
              }
            }
          }
        }
        const q = ((n * Ho + i) * Wo + j) * C;
        for (let k = 0; k < C; k++) {
          if (where[k] >= 0) dx[where[k]] += dy[q + k];
        }
      }
    }
  }
}

/** Builds the kernel function around the stock wasm MaxPoolGrad (non-float32 input). */
export function createMaxPoolGradWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args
      .attrs as unknown as tf.MaxPoolGradAttrs;
    const backend = asHeapBackend(args.backend);
    if (
      backend === undefined || input.dtype !== "float32" || dy.dtype !== "float32" ||
      input.shape.length !== 4
    ) {
      trace("MaxPoolGrad", "fallback");
      return stock(args);
    }
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    if (!dy.shape.every((s, i) => s === info.outShape[i])) {
      trace("MaxPoolGrad", "fallback");
      return stock(args);
    }
    trace("MaxPoolGrad", "fast");
    const out = backend.makeOutput([...input.shape], "float32");
    if (tf.util.sizeFromShape(input.shape) === 0) return out;
    const x = f32(backend, input), g = f32(backend, dy), dx = f32(backend, out);
    const simd = isTwoByTwo(info) && info.inChannels % 4 === 0
      ? simdKernelsFor(backend)
      : undefined;
    if (simd === undefined) {
      maxPoolGradInto(x, g, info, dx);
      return out;
    }
    trace("MaxPoolGrad", "twoByTwo");
    trace("MaxPoolGrad", "simd");
    // The SIMD loop writes every pixel a window covers; an odd last row or column it leaves.
    if (info.inHeight % 2 !== 0 || info.inWidth % 2 !== 0) dx.fill(0);
    const { batchSize, inHeight, inWidth, inChannels } = info;
    simd.maxPool2x2Grad(
      x.byteOffset,
      g.byteOffset,
      dx.byteOffset,
      batchSize,
      inHeight,
      inWidth,
      inChannels,
    );
    return out;
  };
}
