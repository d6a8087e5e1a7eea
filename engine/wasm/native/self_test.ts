/**
 * Every native kernel once, on small shapes, against the float64 reference:
 * what the probe child runs before a library may be used in-process. The
 * inputs lie in a SharedArrayBuffer at unaligned offsets, as tensors in the
 * threaded wasm heap do.
 */
import type {
  BatchNormShape,
  BinaryShape,
  Conv2DParams,
  MatMulShape,
  OneDnnKernels,
  Pool2DParams,
} from "./onednn/mod.ts";
import {
  batchNormGradReference,
  batchNormInferenceReference,
  batchNormTrainReference,
  binaryReference,
  conv2dBackwardDataReference,
  conv2dBackwardFilterReference,
  conv2dForwardReference,
  matMulReference,
  maxPoolReference,
  relativeError,
} from "./reference.ts";

/** The tests' and the probe's bar: max |diff| / max |reference|. */
export const TOLERANCE = 1e-5;

export interface SelfTestCheck {
  name: string;
  relativeError: number;
}

export interface SelfTestReport {
  ok: boolean;
  checks: SelfTestCheck[];
  /** The implementations oneDNN chose, e.g. "conv2dForward: brgconv:avx512_core". */
  impls: string[];
}

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Float32 views carved out of one SharedArrayBuffer, each starting 4 bytes past a 16-byte boundary. */
function sharedViews(lengths: readonly number[]): Float32Array[] {
  const floats = lengths.reduce((sum, n) => sum + n + 4, 0);
  const heap = new SharedArrayBuffer(floats * 4);
  let offset = 1;
  return lengths.map((n) => {
    const view = new Float32Array(heap, offset * 4, n);
    offset += n + 4;
    return view;
  });
}

/** 7×6 input, 3×3 filter, stride 2, asymmetric pads: 4×3 output, 3 → 10 channels. */
const CONV: Conv2DParams = {
  batch: 2,
  inHeight: 7,
  inWidth: 6,
  inChannels: 3,
  outHeight: 4,
  outWidth: 3,
  outChannels: 10,
  filterHeight: 3,
  filterWidth: 3,
  strideHeight: 2,
  strideWidth: 2,
  padTop: 1,
  padLeft: 0,
  padBottom: 1,
  padRight: 1,
  dilationHeight: 1,
  dilationWidth: 1,
};

export function runSelfTest(kernels: OneDnnKernels): SelfTestReport {
  const checks: SelfTestCheck[] = [];
  const p = CONV;
  const xLen = p.batch * p.inHeight * p.inWidth * p.inChannels;
  const fLen = p.filterHeight * p.filterWidth * p.inChannels * p.outChannels;
  const yLen = p.batch * p.outHeight * p.outWidth * p.outChannels;
  const [x, f, bias, y, dy, dx, df, db] = sharedViews([
    xLen,
    fLen,
    p.outChannels,
    yLen,
    yLen,
    xLen,
    fLen,
    p.outChannels,
  ]);
  x.set(values(xLen, 1));
  f.set(values(fLen, 2));
  bias.set(values(p.outChannels, 3));
  dy.set(values(yLen, 4));

  kernels.conv2dForward(p, x, f, bias, y, { relu: true });
  checks.push({
    name: "conv2dForward +bias +relu",
    relativeError: relativeError(y, conv2dForwardReference(p, x, f, bias, true)),
  });
  kernels.conv2dBackwardData(p, dy, f, dx);
  checks.push({
    name: "conv2dBackwardData",
    relativeError: relativeError(dx, conv2dBackwardDataReference(p, dy, f)),
  });
  kernels.conv2dBackwardFilter(p, x, dy, df, db);
  const grads = conv2dBackwardFilterReference(p, x, dy);
  checks.push({ name: "conv2dBackwardFilter", relativeError: relativeError(df, grads.dFilter) });
  checks.push({ name: "conv2dBackwardFilter bias", relativeError: relativeError(db, grads.dBias) });

  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const shape: MatMulShape = { batch: 2, m: 5, k: 7, n: 9, transposeA, transposeB };
      const [a, b, c] = sharedViews([2 * 5 * 7, 2 * 7 * 9, 2 * 5 * 9]);
      a.set(values(a.length, 5));
      b.set(values(b.length, 6));
      kernels.matMul(a, b, c, shape);
      checks.push({
        name: `matMul${transposeA ? " Aᵀ" : ""}${transposeB ? " Bᵀ" : ""}`,
        relativeError: relativeError(c, matMulReference(a, b, shape)),
      });
    }
  }
  // The element-wise kernels: a bias row broadcast, a same-shape product, ReLU, and a
  // max pool whose window runs into the padding (the conv shapes, reused).
  const rowShape: BinaryShape = {
    rows: yLen / p.outChannels,
    columns: p.outChannels,
    broadcastRow: true,
  };
  const [sum, product, rectified, passed, pooled] = sharedViews([
    yLen,
    yLen,
    yLen,
    yLen,
    2 * 4 * 3 * 3,
  ]);
  kernels.binary("add", y, bias, sum, rowShape);
  checks.push({
    name: "binary add (row)",
    relativeError: relativeError(sum, binaryReference("add", y, bias, rowShape)),
  });
  const same: BinaryShape = { rows: 1, columns: yLen, broadcastRow: false };
  kernels.binary("mul", y, dy, product, same);
  checks.push({
    name: "binary mul",
    relativeError: relativeError(product, binaryReference("mul", y, dy, same)),
  });
  kernels.relu(dy, rectified);
  checks.push({
    name: "relu",
    relativeError: relativeError(rectified, Array.from(dy, (v) => Math.max(v, 0))),
  });
  kernels.reluGrad(y, dy, passed);
  checks.push({
    name: "reluGrad",
    relativeError: relativeError(passed, Array.from(y, (g, i) => dy[i] > 0 ? g : 0)),
  });
  // The conv's window over its input (the conv's other fields ride along unread).
  const pool: Pool2DParams = { ...p, channels: p.inChannels };
  kernels.maxPool(pool, x, pooled);
  checks.push({ name: "maxPool", relativeError: relativeError(pooled, maxPoolReference(pool, x)) });

  // Batch norm over the conv output's 10 channels (no vector width fits: oneDNN's plain
  // loops) and over 16 (its vectorised kernels where the CPU has them).
  for (const channels of [p.outChannels, 16]) {
    const bn: BatchNormShape = { batch: 2, spatial: 12, channels, epsilon: 1e-5 };
    const n = bn.batch * bn.spatial * channels;
    const [bx, gy, gamma, beta, by, mean, variance, bdx, dgamma, dbeta, inferred] = sharedViews([
      ...[n, n, channels, channels, n],
      ...[channels, channels, n, channels, channels, n],
    ]);
    bx.set(values(n, 7).map((v) => 3 * v + 0.5));
    gy.set(values(n, 8));
    gamma.set(values(channels, 9));
    beta.set(values(channels, 10));
    kernels.batchNormTrain(bn, bx, gamma, beta, { y: by, mean, variance });
    const fwd = batchNormTrainReference(bn, bx, gamma, beta);
    checks.push({
      name: `batchNormTrain C=${channels}`,
      relativeError: Math.max(
        relativeError(by, fwd.y),
        relativeError(mean, fwd.mean),
        relativeError(variance, fwd.variance),
      ),
    });
    const stats = { mean, variance, gamma, beta };
    kernels.batchNormInference(bn, gy, stats, inferred);
    checks.push({
      name: `batchNormInference C=${channels}`,
      relativeError: relativeError(inferred, batchNormInferenceReference(bn, gy, stats)),
    });
    kernels.batchNormGrad(bn, gy, bx, mean, variance, gamma, { dx: bdx, dgamma, dbeta });
    const bwd = batchNormGradReference(bn, gy, bx, mean, variance, gamma);
    checks.push({
      name: `batchNormGrad C=${channels}`,
      relativeError: Math.max(
        relativeError(bdx, bwd.dx),
        relativeError(dgamma, bwd.dgamma),
        relativeError(dbeta, bwd.dbeta),
      ),
    });
    // With ReLU fused: y's ReLU, and the gradients of dy zeroed where y ≤ 0.
    const workspace = new Uint8Array(kernels.batchNormReluWorkspaceBytes(bn));
    kernels.batchNormTrain(bn, bx, gamma, beta, { y: by, mean, variance }, workspace);
    checks.push({
      name: `batchNormTrain+relu C=${channels}`,
      relativeError: relativeError(by, Array.from(fwd.y, (v) => Math.max(v, 0))),
    });
    kernels.batchNormGrad(bn, gy, bx, mean, variance, gamma, { dx: bdx, dgamma, dbeta }, workspace);
    const masked = Float32Array.from(gy, (g, i) => by[i] > 0 ? g : 0);
    const bwdRelu = batchNormGradReference(bn, masked, bx, mean, variance, gamma);
    checks.push({
      name: `batchNormGrad+relu C=${channels}`,
      relativeError: Math.max(
        relativeError(bdx, bwdRelu.dx),
        relativeError(dgamma, bwdRelu.dgamma),
        relativeError(dbeta, bwdRelu.dbeta),
      ),
    });
  }

  const ok = checks.every((c) => c.relativeError <= TOLERANCE);
  const impls = kernels.describe().map((d) => `${d.kernel}: ${d.impl}`);
  return { ok, checks, impls: [...new Set(impls)] };
}
