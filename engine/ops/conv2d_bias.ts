/**
 * A stride-1 "same" convolution plus a per-channel bias in training, as one
 * backend-neutral op. An engine that registers `KdConv2DBias` for the active
 * backend runs it as one convolution that adds the bias itself (the native
 * layer does: oneDNN adds the bias to each finished sum, so the result is
 * conv2d + add bit for bit, tested); everywhere else conv2d then add run, as
 * before. XNNPACK starts its sums from the bias instead, which rounds
 * differently, so the pure wasm path keeps the two kernels.
 *
 * The gradient is tfjs's own for Conv2D and for Add, each thunk run only for
 * the inputs that need one, so a model's first convolution still computes no
 * gradient for its images, and the numbers are those of conv2d + add.
 */
import * as tf from "@tensorflow/tfjs";

/** Inputs `{x, filter, bias}` (NHWC, [k, k, in, out], [out]); output y = conv(x, filter) + bias. */
export const CONV2D_BIAS = "KdConv2DBias";

/** Conv2D's attributes for a stride-1 "same" NHWC convolution, for its gradient. */
const CONV_ATTRS = {
  strides: [1, 1],
  pad: "same",
  dataFormat: "NHWC",
  dilations: [1, 1],
} as const;

tf.registerGradient({
  kernelName: CONV2D_BIAS,
  inputsToSave: ["x", "filter", "bias"],
  gradFunc: (dy, saved) => {
    const [x, filter, bias] = saved;
    const dyOfY = Array.isArray(dy) ? dy[0] : dy;
    const conv = tf.getGradient("Conv2D").gradFunc(
      dyOfY,
      [x, filter],
      CONV_ATTRS as unknown as tf.NamedAttrMap,
    );
    // Add's gradient reads only its inputs' shapes: y's (dy's) and the bias's.
    const add = tf.getGradient("Add").gradFunc(dyOfY, [dyOfY, bias], {});
    return { x: conv.x, filter: conv.filter, bias: add.b };
  },
});

/** conv2d(x, filter, 1, "same") + bias, in one kernel where the engine has one. */
export function conv2dBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  if (
    x.dtype === "float32" && filter.dtype === "float32" && bias.dtype === "float32" &&
    bias.rank === 1 && tf.getKernel(CONV2D_BIAS, tf.getBackend()) !== undefined
  ) {
    return tf.engine().runKernel(CONV2D_BIAS, { x, filter, bias }) as tf.Tensor4D;
  }
  return tf.add(tf.conv2d(x, filter, 1, "same"), bias);
}
