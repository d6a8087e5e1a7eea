/** Max pooling on oneDNN over NHWC activations, as tfjs's MaxPool computes it. */
import { AlgKind, Arg, check, dims, FormatTag, PropKind, SIZEOF } from "../onednn_ffi.ts";
import type { PrimitiveCache } from "./cache.ts";
import { checkWindow, expectLength } from "./checks.ts";
import type { Conv2DInfoLike } from "./convolution.ts";

/** A 2-D pooling window's geometry over NHWC (pads spelled out, as tfjs's Conv2DInfo has them). */
export interface Pool2DParams {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** A pooling window's geometry from a tfjs Conv2DInfo (computePool2DInfo's), field by field. */
export function pool2DParams(info: Conv2DInfoLike): Pool2DParams {
  const { padInfo: pad } = info;
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
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

function checkPool(p: Pool2DParams): void {
  checkWindow("maxPool", p, "window", { height: 1, width: 1 });
}

function poolShape(p: Pool2DParams): string {
  return `${p.batch}x${p.inHeight}x${p.inWidth}x${p.channels} ` +
    `${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} ` +
    `p${p.padTop},${p.padLeft},${p.padBottom},${p.padRight} (${p.outHeight}x${p.outWidth})`;
}

/** y = the maximum of each pooling window of x (NHWC; padding never wins, as in tfjs). */
export function maxPool(
  cache: PrimitiveCache,
  p: Pool2DParams,
  x: Float32Array,
  y: Float32Array,
): void {
  checkPool(p);
  expectLength("x", x, p.batch * p.inHeight * p.inWidth * p.channels);
  expectLength("y", y, p.batch * p.outHeight * p.outWidth * p.channels);
  const entry = cache.entry("maxPool", poolShape(p), (builder) => {
    const src = builder.md([p.batch, p.channels, p.inHeight, p.inWidth], FormatTag.nhwc);
    const dst = builder.md([p.batch, p.channels, p.outHeight, p.outWidth], FormatTag.nhwc);
    const desc = new Uint8Array(SIZEOF.poolingV2Desc);
    check(
      "dnnl_pooling_v2_forward_desc_init",
      builder.s.dnnl_pooling_v2_forward_desc_init(
        desc,
        PropKind.forwardInference,
        AlgKind.poolingMax,
        src,
        dst,
        dims([p.strideHeight, p.strideWidth]),
        dims([p.filterHeight, p.filterWidth]),
        dims([0, 0]),
        dims([p.padTop, p.padLeft]),
        dims([p.padBottom, p.padRight]),
      ),
    );
    const pd = builder.primitiveDesc("max pooling", desc, builder.attr(false), null);
    builder.execute(pd, [[Arg.src, builder.userMemory(src)], [
      Arg.dst,
      builder.userMemory(dst),
    ]]);
  });
  cache.run(entry, [x, y]);
}
