/**
 * Conv2D for the wasm backend, for filters with one output channel. XNNPACK
 * runs such convolutions poorly (17 ms for the input gradient of notebook 01's
 * first convolution, [100,28,28,16] ⊛ [5,5,16,1]); the same result is a
 * depthwise convolution with that filter (channel multiplier 1) summed over
 * channels, ~7 ms. Every other Conv2D goes to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { runWasmKernel } from "./conv2d_backprop_filter.ts";
import { trace } from "../../trace.ts";

/** Builds the kernel function around the stock wasm Conv2D. */
export function createConv2dWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DAttrs;
    const applies = filter.shape.length === 4 && filter.shape[3] === 1 && filter.shape[2] > 1 &&
      x.shape.length === 4 && a.dataFormat !== "NCHW" && x.dtype === "float32" &&
      filter.dtype === "float32" && tf.util.sizeFromShape(x.shape) > 0;
    if (!applies) {
      trace("Conv2D", "stock");
      return stock(args);
    }
    trace("Conv2D", "depthwise");
    const backend = args.backend as tf.KernelBackend;
    const attrs: tf.NamedAttrMap = {
      strides: a.strides,
      pad: a.pad as tf.NamedAttrMap[string],
      dilations: a.dilations ?? [1, 1],
      dataFormat: "NHWC",
    };
    if (a.dimRoundingMode !== undefined) attrs.dimRoundingMode = a.dimRoundingMode;
    const perChannel = runWasmKernel("DepthwiseConv2dNative", { x, filter }, backend, attrs);
    try {
      return runWasmKernel("Sum", { x: perChannel }, backend, { axis: [3], keepDims: true });
    } finally {
      backend.disposeData(perChannel.dataId);
    }
  };
}
