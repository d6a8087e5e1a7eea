/**
 * Cast for the wasm backend: a cast to the tensor's own dtype shares the
 * buffer instead of copying it (the layers cast float32 activations to float32
 * several times per step). Real conversions go to the stock kernel.
 */
import type * as tf from "@tensorflow/tfjs";
import { trace } from "../../trace.ts";

/** Builds the kernel function around the stock wasm Cast. */
export function createCastWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (dtype !== x.dtype || x.dtype === "string") {
      trace("Cast", "stock");
      return stock(args);
    }
    trace("Cast", "shared");
    const backend = args.backend as tf.KernelBackend;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}
