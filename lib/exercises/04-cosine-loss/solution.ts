/** A solution of exercise 04-cosine-loss: the mean over rows of 1 − cos(a, b). */
import * as tf from "@tensorflow/tfjs";
import type { CosineLossFn } from "./mod.ts";

export const solution = (): CosineLossFn => (a, b) =>
  tf.tidy(() => {
    const dot = tf.sum(tf.mul(a, b), 1);
    // ε on the squared norms, as PyTorch does, so a zero row gives no NaN.
    const norms = tf.sqrt(
      tf.mul(tf.sum(tf.square(a), 1).add(1e-8), tf.sum(tf.square(b), 1).add(1e-8)),
    );
    return tf.mean(tf.sub(1, tf.div(dot, norms)));
  });
