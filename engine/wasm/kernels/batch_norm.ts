/**
 * Batch normalisation in training mode as two kernels for the wasm backend:
 * the forward pass (statistics and output in three passes over the input) and
 * its gradient (two passes). tfjs builds the same thing from moments, a
 * FusedBatchNorm and their gradients — about twenty full-size tensor
 * operations per layer and step, each with its own allocation. Sums are
 * accumulated in float64, so results match the composed version to float32
 * rounding, not bit for bit. The sweeps over the tensors run as wasm SIMD
 * (simd/kernels_wat.ts) when the channel count is divisible by 4, else as JS
 * loops; both compute the same numbers bit for bit (tested).
 */
import * as tf from "@tensorflow/tfjs";
import {
  BATCH_NORM_GRAD,
  BATCH_NORM_TRAIN,
  type BatchNormAttrs,
} from "../../ops/batch_norm_train.ts";
import { type SimdKernels, simdKernelsFor } from "./simd/instance.ts";
import {
  f32,
  type HeapKernelArgs,
  heapScratchF64,
  requireHeapBackend,
  type WasmHeapBackend,
} from "./wasm_heap.ts";
import { trace } from "../../trace.ts";

/**
 * Positions per block. NHWC interleaves the channels; each pass sweeps one
 * channel at a time through a block small enough to stay in L1, keeping its
 * running sum in a register. Every channel still adds its values in position
 * order, so sums are the same as one sweep over the whole tensor. Measured on
 * 2 cores: 32 positions ran the notebook-01 teacher's batch norms 1.5× faster than
 * unblocked sweeps; 8 and 128 were slower.
 */
const BLOCK = 32;

/** The forward kernel's three sweeps over x; the per-channel math between them is shared. */
interface TrainPasses {
  /** sum[k] += every x of channel k, in position order. */
  sums(sum: Float64Array): void;
  /** sq[k] += (x − mean[k])². */
  squares(mean: Float64Array, sq: Float64Array): void;
  /** y = x·a[k] + b[k], rounded to float32. */
  affine(a: Float64Array, b: Float64Array): void;
}

/** The gradient kernel's two sweeps over dy and x. */
interface GradPasses {
  /** sumDy[k] += dy; sumDyXc[k] += dy·(x − mean[k]). */
  sums(mean: Float64Array, sumDy: Float64Array, sumDyXc: Float64Array): void;
  /** dx = a[k]·dy + b[k]·x + c[k], rounded to float32. */
  apply(a: Float64Array, b: Float64Array, c: Float64Array): void;
}

/** Per-channel float64 scratch arrays: `count` arrays of C values, zeroed. */
function splitScratch(scratch: Float64Array, C: number, count: number): Float64Array[] {
  scratch.fill(0);
  return Array.from({ length: count }, (_, i) => scratch.subarray(i * C, (i + 1) * C));
}

function batchNormTrainWith(
  passes: TrainPasses,
  M: number,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  out: { mean: Float32Array; variance: Float32Array },
  scratch: Float64Array,
): void {
  const C = gamma.length;
  const [sum, mean, sq, scale, shift] = splitScratch(scratch, C, 5);
  passes.sums(sum);
  for (let k = 0; k < C; k++) mean[k] = sum[k] / M;
  // Two passes (mean first) keep the variance accurate when |mean| ≫ sd.
  passes.squares(mean, sq);
  for (let k = 0; k < C; k++) {
    const variance = sq[k] / M;
    scale[k] = gamma[k] / Math.sqrt(variance + epsilon);
    shift[k] = beta[k] - mean[k] * scale[k];
    out.mean[k] = mean[k];
    out.variance[k] = variance;
  }
  passes.affine(scale, shift);
}

function batchNormGradWith(
  passes: GradPasses,
  M: number,
  mean32: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  epsilon: number,
  out: { dgamma: Float32Array; dbeta: Float32Array },
  scratch: Float64Array,
): void {
  const C = gamma.length;
  const [mean, sumDy, sumDyXc, a, b, c] = splitScratch(scratch, C, 6);
  mean.set(mean32);
  passes.sums(mean, sumDy, sumDyXc);
  // dx = γ·s/M · (M·dy − Σdy − x̂·Σ(dy·x̂)) with s = 1/√(var + ε), x̂ = (x − mean)·s,
  // rearranged to a·dy + b·x + c per channel so the last pass is one multiply-add chain.
  for (let k = 0; k < C; k++) {
    const s = 1 / Math.sqrt(variance[k] + epsilon);
    const dgamma = sumDyXc[k] * s;
    out.dgamma[k] = dgamma;
    out.dbeta[k] = sumDy[k];
    a[k] = gamma[k] * s;
    b[k] = -gamma[k] * s * s * dgamma / M;
    c[k] = -gamma[k] * s * sumDy[k] / M - b[k] * mean[k];
  }
  passes.apply(a, b, c);
}

/** The sweeps as JS loops over typed arrays (any channel count). */
function jsTrainPasses(x: Float32Array, y: Float32Array, C: number): TrainPasses {
  return {
    sums(sum) {
      for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
        const end = Math.min(x.length, b0 + BLOCK * C);
        for (let k = 0; k < C; k++) {
          let s = sum[k];
          for (let i = b0 + k; i < end; i += C) s += x[i];
          sum[k] = s;
        }
      }
    },
    squares(mean, sq) {
      for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
        const end = Math.min(x.length, b0 + BLOCK * C);
        for (let k = 0; k < C; k++) {
          const m = mean[k];
          let s = sq[k];
          for (let i = b0 + k; i < end; i += C) {
            const d = x[i] - m;
            s += d * d;
          }
          sq[k] = s;
        }
      }
    },
    affine(a, b) {
      for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
        const end = Math.min(x.length, b0 + BLOCK * C);
        for (let k = 0; k < C; k++) {
          const ak = a[k], bk = b[k];
          for (let i = b0 + k; i < end; i += C) y[i] = x[i] * ak + bk;
        }
      }
    },
  };
}

function jsGradPasses(dy: Float32Array, x: Float32Array, dx: Float32Array, C: number): GradPasses {
  return {
    sums(mean, sumDy, sumDyXc) {
      for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
        const end = Math.min(x.length, b0 + BLOCK * C);
        for (let k = 0; k < C; k++) {
          const m = mean[k];
          let s = sumDy[k], sx = sumDyXc[k];
          for (let i = b0 + k; i < end; i += C) {
            const g = dy[i];
            s += g;
            sx += g * (x[i] - m);
          }
          sumDy[k] = s;
          sumDyXc[k] = sx;
        }
      }
    },
    apply(a, b, c) {
      for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
        const end = Math.min(x.length, b0 + BLOCK * C);
        for (let k = 0; k < C; k++) {
          const ak = a[k], bk = b[k], ck = c[k];
          for (let i = b0 + k; i < end; i += C) dx[i] = ak * dy[i] + bk * x[i] + ck;
        }
      }
    },
  };
}

/**
 * Normalises each channel (the last axis) of `x` with its own batch mean and
 * biased variance, then scales and shifts it. Exported for tests.
 */
export function batchNormTrainInto(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  out: { y: Float32Array; mean: Float32Array; variance: Float32Array },
): void {
  const C = gamma.length;
  const passes = jsTrainPasses(x, out.y, C);
  batchNormTrainWith(passes, x.length / C, gamma, beta, epsilon, out, new Float64Array(5 * C));
}

/**
 * Gradients of `batchNormTrainInto`'s `y` with respect to x, gamma and beta,
 * with the batch statistics' own dependence on x included. Exported for tests.
 */
export function batchNormGradInto(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  epsilon: number,
  out: { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array },
): void {
  const C = gamma.length;
  const passes = jsGradPasses(dy, x, out.dx, C);
  const scratch = new Float64Array(6 * C);
  batchNormGradWith(passes, x.length / C, mean, variance, gamma, epsilon, out, scratch);
}

/** The same sweeps in wasm SIMD on the heap (channel counts divisible by 4). */
function simdTrainPasses(simd: SimdKernels, x: Float32Array, y: Float32Array, C: number) {
  const n = x.length;
  return {
    sums: (sum) => simd.channelSums(n, C, x.byteOffset, sum.byteOffset),
    squares: (mean, sq) => simd.channelSquares(n, C, x.byteOffset, mean.byteOffset, sq.byteOffset),
    affine: (a, b) =>
      simd.channelAffine(n, C, x.byteOffset, a.byteOffset, b.byteOffset, y.byteOffset),
  } satisfies TrainPasses;
}

function simdGradPasses(
  simd: SimdKernels,
  dy: Float32Array,
  x: Float32Array,
  dx: Float32Array,
  C: number,
) {
  const n = x.length;
  return {
    sums: (mean, sumDy, sumDyXc) =>
      simd.channelGradSums(
        n,
        C,
        dy.byteOffset,
        x.byteOffset,
        mean.byteOffset,
        sumDy.byteOffset,
        sumDyXc.byteOffset,
      ),
    apply: (a, b, c) =>
      simd.channelGradApply(
        n,
        C,
        dy.byteOffset,
        x.byteOffset,
        a.byteOffset,
        b.byteOffset,
        c.byteOffset,
        dx.byteOffset,
      ),
  } satisfies GradPasses;
}

/**
 * The SIMD kernels when they can serve `C` channels on this backend, with
 * float64 scratch of `count`·C values on the heap (they read it there); else
 * undefined and the JS sweeps run.
 */
function simdWithScratch(
  backend: WasmHeapBackend,
  C: number,
  count: number,
): { simd: SimdKernels; scratch: Float64Array; info: tf.TensorInfo } | undefined {
  const simd = C % 4 === 0 ? simdKernelsFor(backend) : undefined;
  const scratch = simd === undefined ? undefined : heapScratchF64(backend, count * C);
  return scratch && simd && { simd, scratch: scratch.view, info: scratch.info };
}

function trainWasm(args: HeapKernelArgs): tf.TensorInfo[] {
  const backend = requireHeapBackend(args, BATCH_NORM_TRAIN);
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormAttrs;
  const C = gamma.shape[0];
  const outs = [x.shape, gamma.shape, gamma.shape].map((s) => backend.makeOutput(s, "float32"));
  const fast = simdWithScratch(backend, C, 5);
  // Views after every allocation: an allocation may have grown (moved) the heap.
  const xv = f32(backend, x), y = f32(backend, outs[0]);
  const stats = { mean: f32(backend, outs[1]), variance: f32(backend, outs[2]) };
  const g = f32(backend, gamma), b = f32(backend, beta);
  if (fast === undefined) {
    trace(BATCH_NORM_TRAIN, "js");
    batchNormTrainInto(xv, g, b, epsilon, { y, ...stats });
    return outs;
  }
  try {
    trace(BATCH_NORM_TRAIN, "simd");
    const passes = simdTrainPasses(fast.simd, xv, y, C);
    batchNormTrainWith(passes, xv.length / C, g, b, epsilon, stats, fast.scratch);
  } finally {
    backend.disposeData(fast.info.dataId);
  }
  return outs;
}

function gradWasm(args: HeapKernelArgs): tf.TensorInfo[] {
  const backend = requireHeapBackend(args, BATCH_NORM_GRAD);
  const { dy, x, mean, variance, gamma } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormAttrs;
  const C = gamma.shape[0];
  const outs = [x.shape, gamma.shape, gamma.shape].map((s) => backend.makeOutput(s, "float32"));
  const fast = simdWithScratch(backend, C, 6);
  const dyv = f32(backend, dy), xv = f32(backend, x), dx = f32(backend, outs[0]);
  const m = f32(backend, mean), v = f32(backend, variance), g = f32(backend, gamma);
  const params = { dgamma: f32(backend, outs[1]), dbeta: f32(backend, outs[2]) };
  if (fast === undefined) {
    trace(BATCH_NORM_GRAD, "js");
    batchNormGradInto(dyv, xv, m, v, g, epsilon, { dx, ...params });
    return outs;
  }
  try {
    trace(BATCH_NORM_GRAD, "simd");
    const passes = simdGradPasses(fast.simd, dyv, xv, dx, C);
    batchNormGradWith(passes, xv.length / C, m, v, g, epsilon, params, fast.scratch);
  } finally {
    backend.disposeData(fast.info.dataId);
  }
  return outs;
}

/** Registers both kernels for wasm (idempotent); engine/ops/batch_norm_train.ts owns the gradient. */
export function registerBatchNormWasm(): void {
  if (tf.getKernel(BATCH_NORM_TRAIN, "wasm") !== undefined) return;
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN,
    backendName: "wasm",
    kernelFunc: trainWasm as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_GRAD,
    backendName: "wasm",
    kernelFunc: gradWasm as unknown as tf.KernelFunc,
  });
}
