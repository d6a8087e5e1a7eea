/**
 * Batch normalisation in training mode as one backend-neutral op: an engine
 * that registers the `KdBatchNormTrain` / `KdBatchNormGrad` kernels for the
 * active backend runs it in two fused passes (the wasm engine does); any other
 * backend composes it from tfjs's moments and batchNorm. The gradient of the
 * fused kernel is registered here, once, because it is part of the op's
 * contract, not of an engine.
 */
import * as tf from "@tensorflow/tfjs";

/** Inputs `{x, gamma, beta}` ([..., C], [C], [C]); outputs `[y, mean, variance]`. */
export const BATCH_NORM_TRAIN = "KdBatchNormTrain";
/** Inputs `{dy, x, mean, variance, gamma}`; outputs `[dx, dgamma, dbeta]`. */
export const BATCH_NORM_GRAD = "KdBatchNormGrad";

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

/** y, and the batch's mean and biased variance per channel (the last axis). */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  if (x.dtype === "float32" && tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined) {
    const attrs: BatchNormAttrs = { epsilon };
    return tf.engine().runKernel(
      BATCH_NORM_TRAIN,
      { x, gamma, beta },
      attrs as unknown as tf.NamedAttrMap,
    ) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [
    tf.batchNorm(x, mean, variance, beta, gamma, epsilon),
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
  ];
}
