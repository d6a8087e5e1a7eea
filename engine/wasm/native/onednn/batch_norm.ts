/** Batch normalisation on oneDNN, channels last: training, its gradients, and inference. */
import { Arg, check, FormatTag, NormalizationFlags, PropKind, SIZEOF } from "../onednn_ffi.ts";
import type { Builder, Handle } from "./builder.ts";
import type { Entry, PrimitiveCache } from "./cache.ts";
import { expectBytes, expectLength, expectPositive } from "./checks.ts";

/**
 * Batch normalisation's operands: x, y, dy and dx hold `batch · spatial ·
 * channels` values, channels last (NHWC with H·W = spatial, or rows of a
 * matrix with spatial 1); gamma, beta, mean and variance hold `channels`.
 */
export interface BatchNormShape {
  batch: number;
  spatial: number;
  channels: number;
  /** Added to the variance before the square root. */
  epsilon: number;
}

/** Separate γ (scale) and β (shift) tensors, as tfjs holds them. */
const BATCH_NORM_FLAGS = NormalizationFlags.useScale | NormalizationFlags.useShift;

/**
 * Training with a ReLU after the batch norm: the forward pass stores max(y, 0) and records in a
 * workspace where y > 0; the backward pass zeroes dy elsewhere as it reads it.
 */
export type BatchNormMode = "plain" | "relu";

function trainingFlags(mode: BatchNormMode): number {
  return mode === "relu" ? BATCH_NORM_FLAGS | NormalizationFlags.fuseNormRelu : BATCH_NORM_FLAGS;
}

/** The batch-norm views that hold one value per channel; the others hold the whole tensor. */
const BATCH_NORM_PER_CHANNEL = new Set(["gamma", "beta", "mean", "variance", "dgamma", "dbeta"]);

function batchNormKey(p: BatchNormShape, mode: BatchNormMode = "plain"): string {
  return `${p.batch}x${p.spatial}x${p.channels} eps${p.epsilon}${mode === "relu" ? " +relu" : ""}`;
}

/**
 * Batch normalisation in training mode: the batch's mean and biased variance
 * per channel, and y = γ·(x − mean)/√(variance + ε) + β. oneDNN sums in
 * float32 over blocks spread across the threads, so the statistics agree with
 * the wasm kernel's float64 sums to float32 rounding, not bit for bit.
 *
 * With `reluWorkspace` (`batchNormReluWorkspaceBytes(p)` bytes) y is max(y, 0), and the
 * workspace records where y > 0 for `batchNormGrad`: the same numbers as a ReLU after it.
 */
export function batchNormTrain(
  cache: PrimitiveCache,
  p: BatchNormShape,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  out: { y: Float32Array; mean: Float32Array; variance: Float32Array },
  reluWorkspace?: Uint8Array,
): void {
  checkBatchNorm(p, { x, gamma, beta, ...out });
  const views = [x, gamma, beta, out.y, out.mean, out.variance];
  runWithWorkspace(cache, (mode) => batchNormTrainEntry(cache, p, mode), views, reluWorkspace);
}

/** The plain primitive without a ReLU workspace; with one, the ReLU primitive reading or filling it. */
function runWithWorkspace(
  cache: PrimitiveCache,
  entryFor: (mode: BatchNormMode) => Entry,
  views: Float32Array[],
  reluWorkspace: Uint8Array | undefined,
): void {
  if (reluWorkspace === undefined) {
    cache.run(entryFor("plain"), views);
    return;
  }
  const entry = entryFor("relu");
  expectBytes("workspace", reluWorkspace, entry.info.workspaceBytes!);
  cache.run(entry, [...views, reluWorkspace]);
}

/** The bytes of the workspace a batch norm with ReLU fills for its gradient on this shape. */
export function batchNormReluWorkspaceBytes(cache: PrimitiveCache, p: BatchNormShape): number {
  checkBatchNorm(p, {});
  return batchNormTrainEntry(cache, p, "relu").info.workspaceBytes!;
}

/**
 * Whether oneDNN has a vectorised (jit) batch norm for this shape, both ways.
 * Where it has not (channel counts that fit no vector width, on some CPUs) it
 * falls back to plain C++ loops, measured up to 5× slower than the wasm
 * kernel, so the caller should keep the wasm kernel there.
 */
export function batchNormVectorised(cache: PrimitiveCache, p: BatchNormShape): boolean {
  checkBatchNorm(p, {});
  return [batchNormTrainEntry(cache, p, "plain"), batchNormGradEntry(cache, p, "plain")]
    .every((e) => e.info.impl.includes("jit"));
}

function batchNormTrainEntry(cache: PrimitiveCache, p: BatchNormShape, mode: BatchNormMode): Entry {
  return cache.entry("batchNormTrain", batchNormKey(p, mode), (b) => {
    const { data, channel } = batchNormMds(b, p);
    const desc = batchNormForwardDesc(b, p, data, "training", mode);
    const pd = b.primitiveDesc("batch normalization forward", desc, b.attr(false), null);
    const args: [number, Handle][] = [
      [Arg.src, b.userMemory(data)],
      [Arg.scale, b.userMemory(channel)],
      [Arg.shift, b.userMemory(channel)],
      [Arg.dst, b.userMemory(data)],
      [Arg.mean, b.userMemory(channel)],
      [Arg.variance, b.userMemory(channel)],
    ];
    if (mode === "relu") args.push([Arg.workspace, b.workspace(pd)]);
    b.execute(pd, args);
  });
}

/**
 * batchNormTrain's gradients given dy and the statistics it returned: dx
 * (through the mean and variance too), dγ = Σ dy·x̂ and dβ = Σ dy per channel. With the
 * `reluWorkspace` a batch norm with ReLU filled, dy is first zeroed where y was ≤ 0 (ReLU's
 * gradient, read from the workspace).
 */
export function batchNormGrad(
  cache: PrimitiveCache,
  p: BatchNormShape,
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  out: { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array },
  reluWorkspace?: Uint8Array,
): void {
  checkBatchNorm(p, {
    dy,
    x,
    dx: out.dx,
    mean,
    variance,
    gamma,
    dgamma: out.dgamma,
    dbeta: out.dbeta,
  });
  const views = [dy, x, mean, variance, gamma, out.dbeta, out.dx, out.dgamma, out.dbeta];
  runWithWorkspace(cache, (mode) => batchNormGradEntry(cache, p, mode), views, reluWorkspace);
}

function batchNormGradEntry(cache: PrimitiveCache, p: BatchNormShape, mode: BatchNormMode): Entry {
  return cache.entry("batchNormGrad", batchNormKey(p, mode), (b) => {
    const { data, channel } = batchNormMds(b, p);
    const forward = batchNormForwardDesc(b, p, data, "training", mode);
    const hint = b.primitiveDesc("batch normalization hint", forward, null, null);
    const desc = new Uint8Array(SIZEOF.batchNormDesc);
    check(
      "dnnl_batch_normalization_backward_desc_init",
      b.s.dnnl_batch_normalization_backward_desc_init(
        desc,
        PropKind.backward,
        data,
        data,
        p.epsilon,
        trainingFlags(mode),
      ),
    );
    const pd = b.primitiveDesc("batch normalization backward", desc, b.attr(false), hint);
    const args: [number, Handle][] = [
      [Arg.diffDst, b.userMemory(data)],
      [Arg.src, b.userMemory(data)],
      [Arg.mean, b.userMemory(channel)],
      [Arg.variance, b.userMemory(channel)],
      [Arg.scale, b.userMemory(channel)],
      // oneDNN 2.6 insists on a shift argument here though no gradient depends on β;
      // dβ's own buffer serves (it is written after the shift would be read).
      [Arg.shift, b.userMemory(channel)],
      [Arg.diffSrc, b.userMemory(data)],
      [Arg.diffScale, b.userMemory(channel)],
      [Arg.diffShift, b.userMemory(channel)],
    ];
    if (mode === "relu") args.push([Arg.workspace, b.workspace(pd)]);
    b.execute(pd, args);
  });
}

/**
 * Batch normalisation with given statistics (inference): y = γ·(x −
 * mean)/√(variance + ε) + β per channel. oneDNN folds γ/√(variance + ε) into
 * one factor, so this agrees with tfjs's FusedBatchNorm to float32 rounding
 * (a few ulps), not bit for bit. Use where `batchNormVectorised` holds.
 */
export function batchNormInference(
  cache: PrimitiveCache,
  p: BatchNormShape,
  x: Float32Array,
  stats: { mean: Float32Array; variance: Float32Array; gamma: Float32Array; beta: Float32Array },
  y: Float32Array,
): void {
  checkBatchNorm(p, { x, y, ...stats });
  const entry = cache.entry("batchNormInference", batchNormKey(p), (b) => {
    const { data, channel } = batchNormMds(b, p);
    const desc = batchNormForwardDesc(b, p, data, "inference", "plain");
    const pd = b.primitiveDesc("batch normalization inference", desc, b.attr(false), null);
    b.execute(pd, [
      [Arg.src, b.userMemory(data)],
      [Arg.mean, b.userMemory(channel)],
      [Arg.variance, b.userMemory(channel)],
      [Arg.scale, b.userMemory(channel)],
      [Arg.shift, b.userMemory(channel)],
      [Arg.dst, b.userMemory(data)],
    ]);
  });
  cache.run(entry, [x, stats.mean, stats.variance, stats.gamma, stats.beta, y]);
}

function checkBatchNorm(p: BatchNormShape, views: Record<string, Float32Array>): void {
  expectPositive("batch norm", { batch: p.batch, spatial: p.spatial, channels: p.channels });
  if (!(p.epsilon > 0)) throw new RangeError(`batch norm epsilon ${p.epsilon} must be > 0`);
  for (const [name, view] of Object.entries(views)) {
    expectLength(
      name,
      view,
      BATCH_NORM_PER_CHANNEL.has(name) ? p.channels : p.batch * p.spatial * p.channels,
    );
  }
}

/** The data (NHWC as [batch, channels, spatial, 1]) and per-channel descriptors. */
function batchNormMds(b: Builder, p: BatchNormShape) {
  return {
    data: b.md([p.batch, p.channels, p.spatial, 1], FormatTag.nhwc),
    channel: b.md([p.channels], FormatTag.a),
  };
}

/** A forward descriptor: batch statistics in training, given ones (moving averages) at inference. */
function batchNormForwardDesc(
  b: Builder,
  p: BatchNormShape,
  data: Uint8Array,
  mode: "training" | "inference",
  fused: BatchNormMode,
) {
  const desc = new Uint8Array(SIZEOF.batchNormDesc);
  const training = mode === "training";
  check(
    `dnnl_batch_normalization_forward_desc_init (${mode})`,
    b.s.dnnl_batch_normalization_forward_desc_init(
      desc,
      training ? PropKind.forwardTraining : PropKind.forwardInference,
      data,
      p.epsilon,
      training ? trainingFlags(fused) : BATCH_NORM_FLAGS | NormalizationFlags.useGlobalStats,
    ),
  );
  return desc;
}
