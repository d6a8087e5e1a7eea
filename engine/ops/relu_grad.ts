/**
 * ReLU's gradient as a backend-neutral kernel contract. tfjs computes it as
 * dy · cast(step(x)): three kernels and two full-size temporaries per ReLU and
 * step. An engine that registers `KdReluGrad` for the active backend runs it in
 * one pass (the native layer does, for large tensors); everywhere else the
 * stock formula runs, so registering this gradient changes nothing there.
 * Both give dy where x > 0 and dy · 0 elsewhere, bit for bit.
 */
import * as tf from "@tensorflow/tfjs";

/** Inputs `{dy, x}` of one shape; output dx. */
export const RELU_GRAD = "KdReluGrad";

/** Below this many values the stock formula runs even where the kernel exists (a kernel call costs more). */
export const RELU_GRAD_MIN = 16_384;

/** dx = dy where x > 0, else dy · 0: ReLU's gradient. */
export function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (
    dy.dtype === "float32" && x.dtype === "float32" && x.size >= RELU_GRAD_MIN &&
    tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined
  ) {
    return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.step(x), "float32"));
}

tf.registerGradient({
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => reluGrad(dy as tf.Tensor, x) };
  },
});
