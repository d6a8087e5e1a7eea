/**
 * Batch normalisation in training mode as one backend-neutral op: an engine
 * that registers the `KdBatchNormTrain` / `KdBatchNormGrad` kernels for the
 * active backend runs it in two fused passes (the wasm engine does); any other
 * backend composes it from tfjs's moments and batchNorm. The gradient of the
 * fused kernel is registered here, once, because it is part of the op's
 * contract, not of an engine.
 *
 * With `relu`, an engine that registers `KdBatchNormReluTrain` / `KdBatchNormReluGrad`
 * (the native layer) applies ReLU as it stores y, and zeroes dy where y ≤ 0 as it reads it: one
 * pass each way less than a ReLU after the batch norm, the same numbers (max(y, 0) is exact, and
 * ReLU's gradient is dy where y > 0, dy · 0 elsewhere). Elsewhere tfjs's ReLU follows.
 */
import * as tf from "@tensorflow/tfjs";

/** Inputs `{x, gamma, beta}` ([..., C], [C], [C]); outputs `[y, mean, variance]`. */
export const BATCH_NORM_TRAIN = "KdBatchNormTrain";
/** Inputs `{dy, x, mean, variance, gamma}`; outputs `[dx, dgamma, dbeta]`. */
export const BATCH_NORM_GRAD = "KdBatchNormGrad";

/** Inputs `{x, gamma, beta}`; outputs `[y, mean, variance]`, y = ReLU of the batch norm. */
export const BATCH_NORM_RELU_TRAIN = "KdBatchNormReluTrain";
/** Inputs `{dy, x, y, mean, variance, gamma}`, y as `KdBatchNormReluTrain` returned it. */
export const BATCH_NORM_RELU_GRAD = "KdBatchNormReluGrad";

export interface BatchNormAttrs {
  epsilon: number;
}

tf.registerGradient({
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma, mean, variance] = saved;
    // Only y feeds the loss; mean and variance only update the moving averages.
    const dyOfY = Array.isArray(dy) ? dy[0] : dy;
    // One kernel gives all three, so it runs here rather than in the thunks: the engine
    // calls each thunk inside its own tidy, which would dispose the other two.
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BATCH_NORM_GRAD,
      { dy: dyOfY, x, mean, variance, gamma },
      attrs,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});

tf.registerGradient({
  kernelName: BATCH_NORM_RELU_TRAIN,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [true, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma, y, mean, variance] = saved;
    const dyOfY = Array.isArray(dy) ? dy[0] : dy;
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BATCH_NORM_RELU_GRAD,
      { dy: dyOfY, x, y, mean, variance, gamma },
      attrs,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});

export interface BatchNormTrainOptions {
  /** Apply ReLU to y (default false): one fused kernel where the engine has it. */
  relu?: boolean;
}

/** y (or its ReLU), and the batch's mean and biased variance per channel (the last axis). */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  options: BatchNormTrainOptions = {},
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const attrs: BatchNormAttrs = { epsilon };
  const hasKernel = (name: string) =>
    x.dtype === "float32" && tf.getKernel(name, tf.getBackend()) !== undefined;
  const kernel = options.relu === true ? BATCH_NORM_RELU_TRAIN : BATCH_NORM_TRAIN;
  if (hasKernel(kernel)) {
    return tf.engine().runKernel(
      kernel,
      { x, gamma, beta },
      attrs as unknown as tf.NamedAttrMap,
    ) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
  }
  if (options.relu === true) {
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTrain(x, gamma, beta, epsilon);
      return [tf.relu(y), mean, variance];
    }) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [
    tf.batchNorm(x, mean, variance, beta, gamma, epsilon),
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
  ];
}
