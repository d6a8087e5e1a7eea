/**
 * Batch normalisation in training mode as two kernels for the wasm backend:
 * the forward pass (statistics and output in three passes over the input) and
 * its gradient (two passes). tfjs builds the same thing from moments, a
 * FusedBatchNorm and their gradients — about twenty full-size tensor
 * operations per layer and step, each with its own allocation. Sums are
 * accumulated in float64, so results match the composed version to float32
 * rounding, not bit for bit.
 */
import * as tf from "@tensorflow/tfjs";
import { f32, type HeapKernelArgs, requireHeapBackend } from "./wasm_heap.ts";

/** Inputs `{x, gamma, beta}` ([..., C], [C], [C]); outputs `[y, mean, variance]`. */
export const BATCH_NORM_TRAIN = "KdBatchNormTrain";
/** Inputs `{dy, x, mean, variance, gamma}`; outputs `[dx, dgamma, dbeta]`. */
export const BATCH_NORM_GRAD = "KdBatchNormGrad";

const counts = { train: 0, grad: 0 };

/**
 * Positions per block. NHWC interleaves the channels; each pass sweeps one
 * channel at a time through a block small enough to stay in L1, keeping its
 * running sum in a register. Every channel still adds its values in position
 * order, so sums are the same as one sweep over the whole tensor. Measured on
 * 2 cores: 32 positions ran the lesson-A teacher's batch norms 1.5× faster than
 * unblocked sweeps; 8 and 128 were slower.
 */
const BLOCK = 32;

/** How often each kernel ran since start-up (tests check that the fused path is taken). */
export function batchNormCounts(): { train: number; grad: number } {
  return { ...counts };
}

export interface BatchNormAttrs {
  epsilon: number;
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
  const M = x.length / C;
  const sum = new Float64Array(C);
  for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
    const end = Math.min(x.length, b0 + BLOCK * C);
    for (let k = 0; k < C; k++) {
      let s = sum[k];
      for (let i = b0 + k; i < end; i += C) s += x[i];
      sum[k] = s;
    }
  }
  const mean = sum.map((s) => s / M);
  // Two passes (mean first) keep the variance accurate when |mean| ≫ sd.
  const sq = new Float64Array(C);
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
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let k = 0; k < C; k++) {
    const variance = sq[k] / M;
    scale[k] = gamma[k] / Math.sqrt(variance + epsilon);
    shift[k] = beta[k] - mean[k] * scale[k];
    out.mean[k] = mean[k];
    out.variance[k] = variance;
  }
  const y = out.y;
  for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
    const end = Math.min(x.length, b0 + BLOCK * C);
    for (let k = 0; k < C; k++) {
      const a = scale[k], b = shift[k];
      for (let i = b0 + k; i < end; i += C) y[i] = x[i] * a + b;
    }
  }
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
  const M = x.length / C;
  const sumDy = new Float64Array(C);
  const sumDyXc = new Float64Array(C); // Σ dy·(x − mean)
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
  // dx = γ·s/M · (M·dy − Σdy − x̂·Σ(dy·x̂)) with s = 1/√(var + ε), x̂ = (x − mean)·s,
  // rearranged to a·dy + b·x + c per channel so the last pass is one multiply-add chain.
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  const c = new Float64Array(C);
  for (let k = 0; k < C; k++) {
    const s = 1 / Math.sqrt(variance[k] + epsilon);
    const dgamma = sumDyXc[k] * s;
    out.dgamma[k] = dgamma;
    out.dbeta[k] = sumDy[k];
    a[k] = gamma[k] * s;
    b[k] = -gamma[k] * s * s * dgamma / M;
    c[k] = -gamma[k] * s * sumDy[k] / M - b[k] * mean[k];
  }
  const dx = out.dx;
  for (let b0 = 0; b0 < x.length; b0 += BLOCK * C) {
    const end = Math.min(x.length, b0 + BLOCK * C);
    for (let k = 0; k < C; k++) {
      const ak = a[k], bk = b[k], ck = c[k];
      for (let i = b0 + k; i < end; i += C) dx[i] = ak * dy[i] + bk * x[i] + ck;
    }
  }
}

function trainWasm(args: HeapKernelArgs): tf.TensorInfo[] {
  const backend = requireHeapBackend(args, BATCH_NORM_TRAIN);
  counts.train++;
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormAttrs;
  const outs = [x.shape, gamma.shape, gamma.shape].map((s) => backend.makeOutput(s, "float32"));
  // Views after every makeOutput: an allocation may have grown (moved) the heap.
  batchNormTrainInto(f32(backend, x), f32(backend, gamma), f32(backend, beta), epsilon, {
    y: f32(backend, outs[0]),
    mean: f32(backend, outs[1]),
    variance: f32(backend, outs[2]),
  });
  return outs;
}

function gradWasm(args: HeapKernelArgs): tf.TensorInfo[] {
  const backend = requireHeapBackend(args, BATCH_NORM_GRAD);
  counts.grad++;
  const { dy, x, mean, variance, gamma } = args.inputs as Record<string, tf.TensorInfo>;
  const { epsilon } = args.attrs as unknown as BatchNormAttrs;
  const outs = [x.shape, gamma.shape, gamma.shape].map((s) => backend.makeOutput(s, "float32"));
  batchNormGradInto(
    f32(backend, dy),
    f32(backend, x),
    f32(backend, mean),
    f32(backend, variance),
    f32(backend, gamma),
    epsilon,
    { dx: f32(backend, outs[0]), dgamma: f32(backend, outs[1]), dbeta: f32(backend, outs[2]) },
  );
  return outs;
}

/** Registers both kernels for wasm and the forward kernel's gradient (idempotent). */
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
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma, mean, variance] = saved;
      // Only y feeds the loss; mean and variance only update the moving averages.
      const dyOfY = Array.isArray(dy) ? dy[0] : dy;
      // One kernel gives all three, so it runs here rather than in the thunks: the engine
      // calls each thunk inside its own tidy, which would dispose the other two.
      const [dx, dgamma, dbeta] = tf.engine().runKernel(
        BATCH_NORM_GRAD,
        { dy: dyOfY, x, mean, variance, gamma },
        attrs,
      ) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}
