/**
 * Max pooling on oneDNN over NHWC activations, as tfjs's MaxPool computes it, and its gradient from
 * the workspace a training forward pass keeps (where each maximum was), as tfjs's MaxPoolGrad
 * computes it without searching the windows again.
 */
import { AlgKind, Arg, check, dims, FormatTag, PropKind, SIZEOF } from "../onednn_ffi.ts";
import type { Builder, Handle } from "./builder.ts";
import type { Entry, PrimitiveCache } from "./cache.ts";
import { checkWindow, expectBytes, expectLength, type WindowGeometry } from "./checks.ts";
import { type Conv2DInfoLike, windowOf } from "./convolution.ts";

/** A 2-D pooling window's geometry over NHWC (pads spelled out, as tfjs's Conv2DInfo has them). */
export interface Pool2DParams extends WindowGeometry {
  batch: number;
  channels: number;
}

/** A pooling window's geometry from a tfjs Conv2DInfo (computePool2DInfo's), field by field. */
export function pool2DParams(info: Conv2DInfoLike): Pool2DParams {
  return { batch: info.batchSize, channels: info.inChannels, ...windowOf(info) };
}

function checkPool(p: Pool2DParams): void {
  checkWindow("maxPool", p, "window", { height: 1, width: 1 });
}

function poolShape(p: Pool2DParams): string {
  return `${p.batch}x${p.inHeight}x${p.inWidth}x${p.channels} ` +
    `${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} ` +
    `p${p.padTop},${p.padLeft},${p.padBottom},${p.padRight} (${p.outHeight}x${p.outWidth})`;
}

/**
 * The window that ends both pooling descriptor calls' arguments, in oneDNN's order: strides,
 * kernel, dilation (none), pad_l, pad_r.
 */
function windowArgs(p: Pool2DParams) {
  return [
    dims([p.strideHeight, p.strideWidth]),
    dims([p.filterHeight, p.filterWidth]),
    dims([0, 0]),
    dims([p.padTop, p.padLeft]),
    dims([p.padBottom, p.padRight]),
  ] as const;
}

type Mode = "training" | "inference";

/** The source and destination descriptors (NHWC) and the forward descriptor of `mode`. */
function descriptors(builder: Builder, p: Pool2DParams, mode: Mode) {
  const src = builder.md([p.batch, p.channels, p.inHeight, p.inWidth], FormatTag.nhwc);
  const dst = builder.md([p.batch, p.channels, p.outHeight, p.outWidth], FormatTag.nhwc);
  const forward = new Uint8Array(SIZEOF.poolingV2Desc);
  check(
    "dnnl_pooling_v2_forward_desc_init",
    builder.s.dnnl_pooling_v2_forward_desc_init(
      forward,
      mode === "training" ? PropKind.forwardTraining : PropKind.forwardInference,
      AlgKind.poolingMax,
      src,
      dst,
      ...windowArgs(p),
    ),
  );
  return { src, dst, forward };
}

/**
 * The forward entry; in training it also writes the workspace (where each window's maximum was,
 * the first one in scan order on ties, as tfjs's MaxPoolGrad picks it).
 */
function forwardEntry(cache: PrimitiveCache, p: Pool2DParams, mode: Mode): Entry {
  const shape = `${poolShape(p)}${mode === "training" ? " +workspace" : ""}`;
  return cache.entry("maxPool", shape, (builder) => {
    const { src, dst, forward } = descriptors(builder, p, mode);
    const pd = builder.primitiveDesc("max pooling", forward, builder.attr(false), null);
    const args: [number, Handle][] = [
      [Arg.src, builder.userMemory(src)],
      [Arg.dst, builder.userMemory(dst)],
    ];
    if (mode === "training") args.push([Arg.workspace, builder.workspace(pd)]);
    builder.execute(pd, args);
  });
}

/**
 * y = the maximum of each pooling window of x (NHWC; padding never wins, as in tfjs). With
 * `workspace` (`maxPoolWorkspaceBytes(p)` bytes) it also records where each maximum was, for
 * `maxPoolGrad`.
 */
export function maxPool(
  cache: PrimitiveCache,
  p: Pool2DParams,
  x: Float32Array,
  y: Float32Array,
  workspace?: Uint8Array,
): void {
  checkPool(p);
  expectLength("x", x, p.batch * p.inHeight * p.inWidth * p.channels);
  expectLength("y", y, p.batch * p.outHeight * p.outWidth * p.channels);
  if (workspace === undefined) {
    cache.run(forwardEntry(cache, p, "inference"), [x, y]);
    return;
  }
  const entry = forwardEntry(cache, p, "training");
  expectBytes("workspace", workspace, entry.info.workspaceBytes!);
  cache.run(entry, [x, y, workspace]);
}

/** The bytes of the workspace `maxPool` fills for `maxPoolGrad` on this geometry. */
export function maxPoolWorkspaceBytes(cache: PrimitiveCache, p: Pool2DParams): number {
  checkPool(p);
  return forwardEntry(cache, p, "training").info.workspaceBytes!;
}

/**
 * dx = each dy moved to where its window's maximum was, as `maxPool` recorded it in `workspace`,
 * and 0 elsewhere: values are moved, not computed, as in tfjs's MaxPoolGrad.
 */
export function maxPoolGrad(
  cache: PrimitiveCache,
  p: Pool2DParams,
  dy: Float32Array,
  workspace: Uint8Array,
  dx: Float32Array,
): void {
  checkPool(p);
  expectLength("dy", dy, p.batch * p.outHeight * p.outWidth * p.channels);
  expectLength("dx", dx, p.batch * p.inHeight * p.inWidth * p.channels);
  const entry = cache.entry("maxPoolGrad", poolShape(p), (builder) => {
    const { src, dst, forward } = descriptors(builder, p, "training");
    const hint = builder.primitiveDesc("max pooling hint", forward, null, null);
    const desc = new Uint8Array(SIZEOF.poolingV2Desc);
    check(
      "dnnl_pooling_v2_backward_desc_init",
      builder.s.dnnl_pooling_v2_backward_desc_init(
        desc,
        AlgKind.poolingMax,
        src,
        dst,
        ...windowArgs(p),
      ),
    );
    const pd = builder.primitiveDesc("max pooling backward", desc, builder.attr(false), hint);
    builder.execute(pd, [
      [Arg.diffDst, builder.userMemory(dst)],
      [Arg.workspace, builder.workspace(pd)],
      [Arg.diffSrc, builder.userMemory(src)],
    ]);
  });
  expectBytes("workspace", workspace, entry.info.workspaceBytes!);
  cache.run(entry, [dy, workspace, dx]);
}
