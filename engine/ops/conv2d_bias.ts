/**
 * A stride-1 "same" convolution plus a per-channel bias in training, as one
 * backend-neutral op. An engine that registers `KdConv2DBias` for the active
 * backend runs it as one convolution that adds the bias itself (the native
 * layer does: oneDNN adds the bias to each finished sum, so the result is
 * conv2d + add bit for bit, tested); everywhere else conv2d then add run, as
 * before. XNNPACK starts its sums from the bias instead, which rounds
 * differently, so the pure wasm path keeps the two kernels.
 *
 * With `relu`, the engine's kernel also applies ReLU to each finished sum (a
 * oneDNN post-op: max(v, 0) is exact, so the result is relu(conv2d + add) bit
 * for bit), and the intermediate sum is never stored.
 *
 * The gradient is tfjs's own for Conv2D and for Add, each thunk run only for
 * the inputs that need one, so a model's first convolution still computes no
 * gradient for its images, and the numbers are those of conv2d + add. ReLU's
 * gradient reads the output instead of the sum it never saw: y > 0 exactly
 * where the sum is > 0, so it is the same dy-or-dy·0.
 */
import * as tf from "@tensorflow/tfjs";
import { reluGrad } from "./relu_grad.ts";

/**
 * Inputs `{x, filter, bias}` (NHWC, [k, k, in, out], [out]); output y = conv(x, filter) + bias,
 * or its ReLU with the attribute `relu: true`.
 */
export const CONV2D_BIAS = "KdConv2DBias";

export interface Conv2DBiasAttrs {
  relu: boolean;
}

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
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, bias, y] = saved;
    const dyOfOutput = Array.isArray(dy) ? dy[0] : dy;
    const dyOfY = (attrs as unknown as Partial<Conv2DBiasAttrs>).relu
      ? reluGrad(dyOfOutput, y)
      : dyOfOutput;
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

/** Whether the active engine runs conv2dBias as one kernel for these tensors. */
export function conv2dBiasIsOneKernel(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor): boolean {
  return x.dtype === "float32" && filter.dtype === "float32" && bias.dtype === "float32" &&
    bias.rank === 1 && tf.getKernel(CONV2D_BIAS, tf.getBackend()) !== undefined;
}

/**
 * conv2d(x, filter, 1, "same") + bias (then ReLU with `relu`), in one kernel where the engine has
 * one.
 */
export function conv2dBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  options: { relu?: boolean } = {},
): tf.Tensor4D {
  const relu = options.relu ?? false;
  if (conv2dBiasIsOneKernel(x, filter, bias)) {
    const attrs: Conv2DBiasAttrs = { relu };
    return tf.engine().runKernel(
      CONV2D_BIAS,
      { x, filter, bias },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
  }
  const y = tf.add(tf.conv2d(x, filter, 1, "same"), bias) as tf.Tensor4D;
  return relu ? tf.relu(y) : y;
}
