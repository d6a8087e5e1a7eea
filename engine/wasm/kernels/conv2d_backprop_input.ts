/**
 * Conv2DBackpropInput for the wasm backend. The stock kernel is a plain C loop
 * and costs about a fifth of a training step; for stride 1 the input gradient is
 * a forward convolution, which XNNPACK runs much faster:
 *
 *   dx = conv2d(dy, W reversed in both spatial axes as [kh,kw,Co,Ci],
 *               padding (d·(k−1) − forward padding) on each side, dilation d)
 *
 * Strided or NCHW cases go to the stock kernel, which stays correct there.
 */
import * as tf from "@tensorflow/tfjs";
import { forwardConvInfo, runWasmKernel } from "./conv2d_backprop_filter.ts";
import { trace } from "../../trace.ts";

type Attrs = tf.Conv2DBackpropInputAttrs & { dilations?: [number, number] | number };

/**
 * Builds the kernel function around the stock wasm kernel, which serves the
 * cases the rewrite does not cover.
 */
export function createConv2dBackpropInputWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as Attrs;
    const b = backend as tf.KernelBackend;
    const info = forwardConvInfo(a.inputShape, filter.shape, a);
    const dilated = info.dilationHeight !== 1 || info.dilationWidth !== 1;
    const rewritable = info.dataFormat === "channelsLast" && info.strideHeight === 1 &&
      info.strideWidth === 1 && dy.dtype === "float32" && filter.dtype === "float32" &&
      dy.shape.length === 4 && dy.shape.every((v, i) => v === info.outShape[i]) &&
      tf.util.sizeFromShape(dy.shape) > 0 && tf.util.sizeFromShape(filter.shape) > 0;
    if (rewritable) {
      trace("Conv2DBackpropInput", "rewrite");
      return inputGradAsConv(dy, filter, info, b);
    }
    // The stock kernel assumes dilation 1; tfjs' own gradients never pass one.
    if (dilated) {
      throw new Error(
        "Conv2DBackpropInput on wasm: dilations > 1 are supported only with stride 1 and NHWC",
      );
    }
    trace("Conv2DBackpropInput", "fallback");
    return stock({ inputs, backend, attrs });
  };
}

function inputGradAsConv(
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: Ci } = info;
  const { top, bottom, left, right } = info.padInfo;
  const kh = info.dilationHeight * (info.filterHeight - 1) + 1;
  const kw = info.dilationWidth * (info.filterWidth - 1) + 1;
  // Full-correlation padding; it is negative when the forward padding exceeded
  // k−1, so pad by at least 0 and slice the extra rows off the result.
  const pads = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
  const used = pads.map((p) => Math.max(0, p));
  const temps: tf.TensorInfo[] = [];
  try {
    const flipped = runWasmKernel("Reverse", { x: filter }, backend, { dims: [0, 1] });
    temps.push(flipped);
    const w = runWasmKernel("Transpose", { x: flipped }, backend, { perm: [0, 1, 3, 2] });
    temps.push(w);
    const dx = runWasmKernel("Conv2D", { x: dy, filter: w }, backend, {
      strides: [1, 1],
      dilations: [info.dilationHeight, info.dilationWidth],
      pad: [[0, 0], [used[0], used[1]], [used[2], used[3]], [0, 0]],
      dataFormat: "NHWC",
    });
    if (dx.shape[1] === H && dx.shape[2] === W) return dx;
    temps.push(dx);
    return runWasmKernel("Slice", { x: dx }, backend, {
      begin: [0, used[0] - pads[0], used[2] - pads[2], 0],
      size: [N, H, W, Ci],
    });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}
