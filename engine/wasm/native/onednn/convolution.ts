/**
 * Convolutions on oneDNN: forward (with an optional bias and fused ReLU) and
 * both gradients, activations NHWC and filters HWIO as tfjs holds them. The
 * primitive descriptor lets oneDNN pick the weights layout its fastest (jit)
 * implementation wants, with a cached reorder between that layout and HWIO,
 * since the filters change every training step and live in the caller's
 * memory; activations stay NHWC so they are read and written where they lie.
 */
import { AlgKind, Arg, check, dims, FormatTag, PropKind, Query, SIZEOF } from "../onednn_ffi.ts";
import { type Builder, type Handle, pointerOf } from "./builder.ts";
import type { PrimitiveCache } from "./cache.ts";
import { checkWindow, expectLength, type WindowGeometry } from "./checks.ts";

/** A 2-D convolution's geometry, named as tfjs's Conv2DInfo names it (pads spelled out). */
export interface Conv2DParams extends WindowGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  /** tfjs's dilation: 1 means none (oneDNN counts from 0). */
  dilationHeight: number;
  dilationWidth: number;
}

/** The fields of tfjs's `backend_util.Conv2DInfo` that `Conv2DParams` is made from. */
export interface Conv2DInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
}

/** The sliding window of a tfjs Conv2DInfo (a convolution's or a pooling's), field by field. */
export function windowOf(info: Conv2DInfoLike): WindowGeometry {
  const { padInfo: pad } = info;
  return {
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: pad.top,
    padLeft: pad.left,
    padBottom: pad.bottom,
    padRight: pad.right,
  };
}

/**
 * The geometry of a tfjs Conv2DInfo, field by field so that the info's other
 * fields stay behind. The kernels assume tfjs's default channelsLast data
 * format; the caller checks `dataFormat`.
 */
export function conv2DParams(info: Conv2DInfoLike): Conv2DParams {
  return {
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    ...windowOf(info),
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
  };
}

function checkConv(p: Conv2DParams): void {
  checkWindow("conv2d", p, "filter", { height: p.dilationHeight, width: p.dilationWidth });
}

function convShape(p: Conv2DParams): string {
  return `${p.batch}x${p.inHeight}x${p.inWidth}x${p.inChannels} ` +
    `${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} ` +
    `p${p.padTop},${p.padLeft},${p.padBottom},${p.padRight} ` +
    `d${p.dilationHeight},${p.dilationWidth} →${p.outChannels} (${p.outHeight}x${p.outWidth})`;
}

function checkConvViews(
  p: Conv2DParams,
  views: { x: Float32Array; filter: Float32Array; y: Float32Array },
): void {
  checkConv(p);
  expectLength("x", views.x, p.batch * p.inHeight * p.inWidth * p.inChannels);
  expectLength(
    "filter",
    views.filter,
    p.filterHeight * p.filterWidth * p.inChannels * p.outChannels,
  );
  expectLength("y", views.y, p.batch * p.outHeight * p.outWidth * p.outChannels);
}

/**
 * The weights' logical dims (O, I, H, W), and the window that ends every convolution descriptor
 * call's arguments, in oneDNN's order: strides, dilates (0 = none), pad_l, pad_r.
 */
function convGeometry(p: Conv2DParams) {
  return {
    weights: [p.outChannels, p.inChannels, p.filterHeight, p.filterWidth],
    window: [
      dims([p.strideHeight, p.strideWidth]),
      dims([p.dilationHeight - 1, p.dilationWidth - 1]),
      dims([p.padTop, p.padLeft]),
      dims([p.padBottom, p.padRight]),
    ] as const,
  };
}

/**
 * A convolution's memory descriptors: activations NHWC, the weights in whatever layout oneDNN
 * picks (`any`), and the bias only where the kernel has one.
 */
function convMds(b: Builder, p: Conv2DParams, withBias: boolean) {
  return {
    src: b.md([p.batch, p.inChannels, p.inHeight, p.inWidth], FormatTag.nhwc),
    weightsAny: b.md(convGeometry(p).weights, FormatTag.any),
    bias: withBias ? b.md([p.outChannels], FormatTag.a) : undefined,
    dst: b.md([p.batch, p.outChannels, p.outHeight, p.outWidth], FormatTag.nhwc),
  };
}

type ConvMds = ReturnType<typeof convMds>;

/** The forward (training) descriptor over `mds`; `call` names it in an error. */
function forwardDesc(b: Builder, p: Conv2DParams, mds: ConvMds, call: string): Uint8Array {
  const g = convGeometry(p);
  const desc = new Uint8Array(SIZEOF.convolutionDesc);
  check(
    call,
    b.s.dnnl_dilated_convolution_forward_desc_init(
      desc,
      PropKind.forwardTraining,
      AlgKind.convolutionDirect,
      mds.src,
      mds.weightsAny,
      mds.bias ? pointerOf(mds.bias) : null,
      mds.dst,
      ...g.window,
    ),
  );
  return desc;
}

/** The forward descriptor a backward one must be created against (kept alive with it). */
function forwardHint(b: Builder, p: Conv2DParams, mds: ConvMds): Handle {
  const desc = forwardDesc(b, p, mds, "dnnl_dilated_convolution_forward_desc_init (hint)");
  return b.primitiveDesc("convolution forward hint", desc, null, null);
}

/**
 * Up to this many input channels, a forward convolution skips oneDNN's first choice on AVX-512,
 * its brgemm kernel (`brgconv`), for its direct jit kernel: on the lessons' layers (1 to 16 input
 * channels) that kernel took 0.24 against 0.74 ms (the notebook-01 teacher's first layer, batch
 * 100) and 0.54 against 1.12 ms (LightNN's, batch 128), with the same sums in the same order (bit
 * for bit, tested). With 64 or 128 input channels brgconv is faster, and rounds differently.
 */
export const JIT_FORWARD_MAX_IN_CHANNELS = 16;

/**
 * y = x ⊛ filter (+ bias) (then ReLU when `options.relu`): x NHWC
 * [batch, inHeight, inWidth, inChannels], filter HWIO, bias [outChannels],
 * y NHWC [batch, outHeight, outWidth, outChannels]. `options.firstImplementation` takes oneDNN's
 * first choice whatever the channel count (for tests).
 */
export function conv2dForward(
  cache: PrimitiveCache,
  p: Conv2DParams,
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array,
  options: { relu?: boolean; firstImplementation?: boolean } = {},
): void {
  checkConvViews(p, { x, filter, y });
  if (bias) expectLength("bias", bias, p.outChannels);
  const relu = options.relu ?? false;
  const avoidBrgconv = options.firstImplementation !== true &&
    p.inChannels <= JIT_FORWARD_MAX_IN_CHANNELS;
  const shape = `${convShape(p)}${bias ? " +bias" : ""}${relu ? " +relu" : ""}${
    avoidBrgconv ? "" : " first"
  }`;
  const entry = cache.entry("conv2dForward", shape, (b) => {
    const g = convGeometry(p);
    const mds = convMds(b, p, bias !== undefined);
    const desc = forwardDesc(b, p, mds, "dnnl_dilated_convolution_forward_desc_init");
    const pd = avoidBrgconv
      ? b.primitiveDescAvoiding("convolution forward", desc, b.attr(relu), ["brgconv"])
      : b.primitiveDesc("convolution forward", desc, b.attr(relu), null);
    const xMem = b.userMemory(mds.src);
    const w = b.weights(b.md(g.weights, FormatTag.hwio), b.query(pd, Query.weightsMd), "in");
    const args: [number, Handle][] = [[Arg.src, xMem], [Arg.weights, w]];
    if (mds.bias) args.push([Arg.bias, b.userMemory(mds.bias)]);
    args.push([Arg.dst, b.userMemory(mds.dst)]);
    b.execute(pd, args);
  });
  cache.run(entry, bias ? [x, filter, bias, y] : [x, filter, y]);
}

/** dx = the gradient of conv2dForward's x, given dy (NHWC) and the HWIO filter. */
export function conv2dBackwardData(
  cache: PrimitiveCache,
  p: Conv2DParams,
  dy: Float32Array,
  filter: Float32Array,
  dx: Float32Array,
): void {
  checkConvViews(p, { x: dx, filter, y: dy });
  const entry = cache.entry("conv2dBackwardData", convShape(p), (b) => {
    const g = convGeometry(p);
    const mds = convMds(b, p, false);
    const hint = forwardHint(b, p, mds);
    const desc = new Uint8Array(SIZEOF.convolutionDesc);
    check(
      "dnnl_dilated_convolution_backward_data_desc_init",
      b.s.dnnl_dilated_convolution_backward_data_desc_init(
        desc,
        AlgKind.convolutionDirect,
        mds.src,
        mds.weightsAny,
        mds.dst,
        ...g.window,
      ),
    );
    const pd = b.primitiveDesc("convolution backward data", desc, b.attr(false), hint);
    const dyMem = b.userMemory(mds.dst);
    const w = b.weights(b.md(g.weights, FormatTag.hwio), b.query(pd, Query.weightsMd), "in");
    b.execute(pd, [[Arg.diffDst, dyMem], [Arg.weights, w], [Arg.diffSrc, b.userMemory(mds.src)]]);
  });
  cache.run(entry, [dy, filter, dx]);
}

/**
 * dFilter (HWIO) = the gradient of conv2dForward's filter, given x and dy;
 * with `dBias`, also the bias gradient (dy summed over batch and space).
 */
export function conv2dBackwardFilter(
  cache: PrimitiveCache,
  p: Conv2DParams,
  x: Float32Array,
  dy: Float32Array,
  dFilter: Float32Array,
  dBias?: Float32Array,
): void {
  checkConvViews(p, { x, filter: dFilter, y: dy });
  if (dBias) expectLength("dBias", dBias, p.outChannels);
  const shape = `${convShape(p)}${dBias ? " +bias" : ""}`;
  const entry = cache.entry("conv2dBackwardFilter", shape, (b) => {
    const g = convGeometry(p);
    const mds = convMds(b, p, dBias !== undefined);
    const hint = forwardHint(b, p, mds);
    const desc = new Uint8Array(SIZEOF.convolutionDesc);
    check(
      "dnnl_dilated_convolution_backward_weights_desc_init",
      b.s.dnnl_dilated_convolution_backward_weights_desc_init(
        desc,
        AlgKind.convolutionDirect,
        mds.src,
        mds.weightsAny,
        mds.bias ? pointerOf(mds.bias) : null,
        mds.dst,
        ...g.window,
      ),
    );
    const pd = b.primitiveDesc("convolution backward weights", desc, b.attr(false), hint);
    const xMem = b.userMemory(mds.src);
    const dyMem = b.userMemory(mds.dst);
    const dw = b.weights(
      b.md(g.weights, FormatTag.hwio),
      b.query(pd, Query.diffWeightsMd),
      "out",
    );
    const args: [number, Handle][] = [[Arg.src, xMem], [Arg.diffDst, dyMem], [
      Arg.diffWeights,
      dw,
    ]];
    if (mds.bias) args.push([Arg.diffBias, b.userMemory(mds.bias)]);
    b.execute(pd, args);
  });
  cache.run(entry, dBias ? [x, dy, dFilter, dBias] : [x, dy, dFilter]);
}
