/**
 * Looking at a model's weights: the checks notebook 04 makes that two students built with one seed
 * start from identical weights (the tutorial prints the first layer's norm twice).
 */
import * as tf from "@tensorflow/tfjs";

/** The L2 norm of the first Conv2D layer's kernel. */
export function firstConvKernelNorm(model: tf.LayersModel): number {
  const conv = model.layers.find((layer) => layer.getClassName() === "Conv2D");
  if (!conv) throw new Error(`${model.name} has no Conv2D layer`);
  return tf.tidy(() => tf.norm(conv.getWeights()[0]).dataSync()[0]);
}

/** The largest |a − b| over every weight of two models of one architecture (0: identical). */
export function largestWeightDifference(a: tf.LayersModel, b: tf.LayersModel): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  const shapes = (ws: tf.Tensor[]) => ws.map((w) => `[${w.shape}]`).join(" ");
  if (shapes(wa) !== shapes(wb)) {
    throw new RangeError(
      `${a.name} and ${b.name} have different weights: ${shapes(wa)} vs ${shapes(wb)}`,
    );
  }
  return Math.max(
    ...wa.map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w, wb[i]))).dataSync()[0])),
  );
}
