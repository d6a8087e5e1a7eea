/**
 * The native kernels' definitions as naive loops in float64: what the
 * self-test in the probe and the tests compare oneDNN against. Written from
 * the formulas, sharing nothing with the oneDNN code but the shape types.
 */
import type {
  BatchNormShape,
  BinaryOp,
  BinaryShape,
  Conv2DParams,
  MatMulShape,
  Pool2DParams,
} from "./onednn/mod.ts";

type Numbers = ArrayLike<number>;

/** The input row (or column) a filter tap reads for an output position, before bounds. */
function source(out: number, tap: number, stride: number, pad: number, dilation: number): number {
  return out * stride - pad + tap * dilation;
}

/** Visits every (batch, output position, filter tap) whose input position is inside the image. */
function forEachTap(
  p: Conv2DParams,
  visit: (
    b: number,
    oh: number,
    ow: number,
    fh: number,
    fw: number,
    ih: number,
    iw: number,
  ) => void,
): void {
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < p.outHeight; oh++) {
      for (let ow = 0; ow < p.outWidth; ow++) {
        for (let fh = 0; fh < p.filterHeight; fh++) {
          const ih = source(oh, fh, p.strideHeight, p.padTop, p.dilationHeight);
          if (ih < 0 || ih >= p.inHeight) continue;
          for (let fw = 0; fw < p.filterWidth; fw++) {
            const iw = source(ow, fw, p.strideWidth, p.padLeft, p.dilationWidth);
            if (iw < 0 || iw >= p.inWidth) continue;
            visit(b, oh, ow, fh, fw, ih, iw);
          }
        }
      }
    }
  }
}

const xIndex = (p: Conv2DParams, b: number, ih: number, iw: number) =>
  ((b * p.inHeight + ih) * p.inWidth + iw) * p.inChannels;
const yIndex = (p: Conv2DParams, b: number, oh: number, ow: number) =>
  ((b * p.outHeight + oh) * p.outWidth + ow) * p.outChannels;
const fIndex = (p: Conv2DParams, fh: number, fw: number) =>
  (fh * p.filterWidth + fw) * p.inChannels * p.outChannels;

/** y (NHWC) = x (NHWC) ⊛ filter (HWIO) + bias, then ReLU when asked. */
export function conv2dForwardReference(
  p: Conv2DParams,
  x: Numbers,
  filter: Numbers,
  bias?: Numbers,
  relu = false,
): Float64Array {
  const y = new Float64Array(p.batch * p.outHeight * p.outWidth * p.outChannels);
  forEachTap(p, (b, oh, ow, fh, fw, ih, iw) => {
    const xi = xIndex(p, b, ih, iw), yi = yIndex(p, b, oh, ow), fi = fIndex(p, fh, fw);
    for (let c = 0; c < p.inChannels; c++) {
      for (let o = 0; o < p.outChannels; o++) {
        y[yi + o] += x[xi + c] * filter[fi + c * p.outChannels + o];
      }
    }
  });
  for (let i = 0; i < y.length; i++) {
    if (bias) y[i] += bias[i % p.outChannels];
    if (relu && y[i] < 0) y[i] = 0;
  }
  return y;
}

/** dx (NHWC): every tap sends dy · filter back to the input position it read. */
export function conv2dBackwardDataReference(
  p: Conv2DParams,
  dy: Numbers,
  filter: Numbers,
): Float64Array {
  const dx = new Float64Array(p.batch * p.inHeight * p.inWidth * p.inChannels);
  forEachTap(p, (b, oh, ow, fh, fw, ih, iw) => {
    const xi = xIndex(p, b, ih, iw), yi = yIndex(p, b, oh, ow), fi = fIndex(p, fh, fw);
    for (let c = 0; c < p.inChannels; c++) {
      for (let o = 0; o < p.outChannels; o++) {
        dx[xi + c] += dy[yi + o] * filter[fi + c * p.outChannels + o];
      }
    }
  });
  return dx;
}

/** dFilter (HWIO) = Σ x · dy over batch and output positions; dBias = Σ dy. */
export function conv2dBackwardFilterReference(
  p: Conv2DParams,
  x: Numbers,
  dy: Numbers,
): { dFilter: Float64Array; dBias: Float64Array } {
  const dFilter = new Float64Array(p.filterHeight * p.filterWidth * p.inChannels * p.outChannels);
  forEachTap(p, (b, oh, ow, fh, fw, ih, iw) => {
    const xi = xIndex(p, b, ih, iw), yi = yIndex(p, b, oh, ow), fi = fIndex(p, fh, fw);
    for (let c = 0; c < p.inChannels; c++) {
      for (let o = 0; o < p.outChannels; o++) {
        dFilter[fi + c * p.outChannels + o] += x[xi + c] * dy[yi + o];
      }
    }
  });
  const dBias = new Float64Array(p.outChannels);
  for (let i = 0; i < dy.length; i++) dBias[i % p.outChannels] += dy[i];
  return { dFilter, dBias };
}

/** c = op(a) · op(b) + bias, then ReLU when asked; see MatMulShape for the layouts. */
export function matMulReference(
  a: Numbers,
  b: Numbers,
  shape: MatMulShape,
  bias?: Numbers,
  relu = false,
): Float64Array {
  const { batch, m, k, n, transposeA, transposeB } = shape;
  const batchB = shape.batchB ?? batch;
  const c = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const a0 = i * m * k, b0 = (batchB === 1 ? 0 : i) * k * n;
    for (let r = 0; r < m; r++) {
      for (let col = 0; col < n; col++) {
        let sum = bias ? bias[col] : 0;
        for (let t = 0; t < k; t++) {
          const av = a[a0 + (transposeA ? t * m + r : r * k + t)];
          const bv = b[b0 + (transposeB ? col * k + t : t * n + col)];
          sum += av * bv;
        }
        c[(i * m + r) * n + col] = relu && sum < 0 ? 0 : sum;
      }
    }
  }
  return c;
}

/** a op b per element, b broadcast down the rows when `shape.broadcastRow`. */
export function binaryReference(
  op: BinaryOp,
  a: Numbers,
  b: Numbers,
  shape: BinaryShape,
): Float64Array {
  const out = new Float64Array(shape.rows * shape.columns);
  for (let i = 0; i < out.length; i++) {
    const y = b[shape.broadcastRow ? i % shape.columns : i];
    out[i] = op === "add" ? a[i] + y : op === "sub" ? a[i] - y : a[i] * y;
  }
  return out;
}

/** The largest value in each window of x (NHWC); taps in the padding are skipped. */
export function maxPoolReference(p: Pool2DParams, x: Numbers): Float64Array {
  const out = new Float64Array(p.batch * p.outHeight * p.outWidth * p.channels).fill(-Infinity);
  for (let b = 0; b < p.batch; b++) {
    for (let oh = 0; oh < p.outHeight; oh++) {
      for (let ow = 0; ow < p.outWidth; ow++) {
        const o = ((b * p.outHeight + oh) * p.outWidth + ow) * p.channels;
        for (let fh = 0; fh < p.filterHeight; fh++) {
          const ih = oh * p.strideHeight - p.padTop + fh;
          if (ih < 0 || ih >= p.inHeight) continue;
          for (let fw = 0; fw < p.filterWidth; fw++) {
            const iw = ow * p.strideWidth - p.padLeft + fw;
            if (iw < 0 || iw >= p.inWidth) continue;
            const i = ((b * p.inHeight + ih) * p.inWidth + iw) * p.channels;
            for (let c = 0; c < p.channels; c++) out[o + c] = Math.max(out[o + c], x[i + c]);
          }
        }
      }
    }
  }
  return out;
}

/** Per-channel sums over the rows of a channels-last tensor of `channels` columns. */
function channelSums(n: number, channels: number, value: (i: number) => number): Float64Array {
  const out = new Float64Array(channels);
  for (let i = 0; i < n; i++) out[i % channels] += value(i);
  return out;
}

/** Batch norm with given statistics: y = γ·(x − mean)/√(variance + ε) + β per channel. */
export function batchNormInferenceReference(
  p: BatchNormShape,
  x: Numbers,
  stats: { mean: Numbers; variance: Numbers; gamma: Numbers; beta: Numbers },
): Float64Array {
  const C = p.channels;
  const { mean, variance, gamma, beta } = stats;
  return Float64Array.from({ length: x.length }, (_, i) => {
    const c = i % C;
    return gamma[c] * (x[i] - mean[c]) / Math.sqrt(variance[c] + p.epsilon) + beta[c];
  });
}

/** Training-mode batch norm: the batch's mean and biased variance per channel, and y. */
export function batchNormTrainReference(
  p: BatchNormShape,
  x: Numbers,
  gamma: Numbers,
  beta: Numbers,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const C = p.channels, rows = p.batch * p.spatial, n = rows * C;
  const mean = channelSums(n, C, (i) => x[i]).map((s) => s / rows);
  const variance = channelSums(n, C, (i) => (x[i] - mean[i % C]) ** 2).map((s) => s / rows);
  const y = batchNormInferenceReference(p, x, { mean, variance, gamma, beta });
  return { y, mean, variance };
}

/**
 * Its gradients: dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/√(var + ε) · (dy − dβ/M − x̂·dγ/M)
 * over the M rows, with x̂ = (x − mean)/√(var + ε).
 */
export function batchNormGradReference(
  p: BatchNormShape,
  dy: Numbers,
  x: Numbers,
  mean: Numbers,
  variance: Numbers,
  gamma: Numbers,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const C = p.channels, rows = p.batch * p.spatial, n = rows * C;
  const inv = Float64Array.from({ length: C }, (_, c) => 1 / Math.sqrt(variance[c] + p.epsilon));
  const xhat = (i: number) => (x[i] - mean[i % C]) * inv[i % C];
  const dbeta = channelSums(n, C, (i) => dy[i]);
  const dgamma = channelSums(n, C, (i) => dy[i] * xhat(i));
  const dx = Float64Array.from({ length: n }, (_, i) => {
    const c = i % C;
    return gamma[c] * inv[c] * (dy[i] - dbeta[c] / rows - xhat(i) * dgamma[c] / rows);
  });
  return { dx, dgamma, dbeta };
}

/** max |actual − expected| / max |expected| (the absolute difference when expected is all 0). */
export function relativeError(actual: Numbers, expected: Numbers): number {
  if (actual.length !== expected.length) {
    throw new RangeError(`lengths differ: ${actual.length} vs ${expected.length}`);
  }
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN must count as an error, and Math.max propagates it where `>` would not.
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
