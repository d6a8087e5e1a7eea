/**
 * Identity for the wasm backend. The stock kernel copies the data; tfjs calls
 * Identity for every clone (layers, gradients, the optimizer), about 120 times
 * per training step of the notebook-01 teacher, a dozen of them activation-sized.
 * Tensors are immutable and reference-counted, so sharing the buffer (what
 * the cpu and webgl backends and wasm's own Reshape do) is enough.
 */
import type * as tf from "@tensorflow/tfjs";
import { trace } from "../../trace.ts";

/** Builds the kernel function around the stock wasm Identity (kept for strings). */
export function createIdentityWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") {
      trace("Identity", "stock");
      return stock(args);
    }
    trace("Identity", "shared");
    const backend = args.backend as tf.KernelBackend;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}
