/**
 * The loss functions the five lessons use, as plain tensor functions. Each
 * returns a scalar averaged the way the source's framework averages it, so the
 * numbers printed in the notebooks are comparable to the sources'.
 */
import * as tf from "@tensorflow/tfjs";
import { withoutTape } from "../backend.ts";

function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a positive number, got ${temperature}`);
  }
}

function checkSameShape(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${what}: shapes differ, [${a.shape}] vs [${b.shape}]`);
  }
}

/** softmax(logits / T): the teacher's "soft targets". Higher T gives a flatter distribution. */
export function softTargets(logits: tf.Tensor2D, temperature: number): tf.Tensor2D {
  checkTemperature(temperature);
  return tf.tidy(() => tf.softmax(tf.div(logits, temperature)));
}

/** Mean cross-entropy of integer labels under softmax(logits) (PyTorch's `CrossEntropyLoss`). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (labels.shape[0] !== logits.shape[0]) {
    throw new RangeError(
      `crossEntropy: ${labels.shape[0]} labels for ${logits.shape[0]} rows of logits`,
    );
  }
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, logits.shape[1])), 1);
    return tf.neg(tf.mean(picked));
  });
}

/** Mean squared error over every element (PyTorch's `MSELoss` with mean reduction). */
export function meanSquaredError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  checkSameShape(a, b, "meanSquaredError");
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)));
}

/**
 * Hinton et al.'s distillation loss: T² · KL(softmax(t/T) ‖ softmax(s/T)),
 * summed over classes and averaged over the batch. The T² keeps its gradients
 * on the same scale as the hard-label loss's when T changes. The teacher's side is the
 * target: it is computed off the gradient tape (the same numbers, without the tape's
 * copies), so no gradient reaches `teacherLogits`.
 */
export function klDistillation(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature: number,
): tf.Scalar {
  checkTemperature(temperature);
  checkSameShape(studentLogits, teacherLogits, "klDistillation");
  return tf.tidy(() => {
    const [logP, p] = withoutTape(() => {
      const logP = tf.logSoftmax(tf.div(teacherLogits, temperature));
      return [logP, tf.exp(logP)];
    });
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(p, tf.sub(logP, logQ)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature);
  });
}

/**
 * Cross-entropy of the student's softened prediction against the teacher's
 * softened probabilities: −Σ softmax(t/T) · log softmax(s/T), averaged over the
 * batch (Keras' categorical cross-entropy with soft labels). As in `klDistillation`, the
 * teacher's side is computed off the gradient tape.
 */
export function softCrossEntropy(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature = 1,
): tf.Scalar {
  checkTemperature(temperature);
  checkSameShape(studentLogits, teacherLogits, "softCrossEntropy");
  return tf.tidy(() => {
    const p = withoutTape(() => tf.softmax(tf.div(teacherLogits, temperature)));
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature));
    return tf.neg(tf.mean(tf.sum(tf.mul(p, logQ), 1)));
  });
}

/**
 * PyTorch's `CosineEmbeddingLoss` with every target 1: mean of 1 − cos(a, b)
 * over the rows. Zero when each pair points the same way.
 */
export function cosineEmbedding(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  checkSameShape(a, b, "cosineEmbedding");
  return tf.tidy(() => {
    // PyTorch adds eps to the squared norms before the square root; so do we.
    const eps = 1e-8;
    const dot = tf.sum(tf.mul(a, b), 1);
    const na = tf.sum(tf.square(a), 1).add(eps);
    const nb = tf.sum(tf.square(b), 1).add(eps);
    const cos = tf.div(dot, tf.sqrt(tf.mul(na, nb)));
    return tf.mean(tf.sub(1, cos));
  });
}

/**
 * 1-D average pooling over neighbouring features (PyTorch's
 * `avg_pool1d(x, size)`): 2048 teacher features become 1024 with size 2.
 */
export function averagePool1d(x: tf.Tensor2D, size: number): tf.Tensor2D {
  const [n, d] = x.shape;
  if (!Number.isInteger(size) || size < 1 || d % size !== 0) {
    throw new RangeError(`averagePool1d: size ${size} must divide the feature count ${d}`);
  }
  return tf.tidy(() => tf.mean(tf.reshape(x, [n, d / size, size]), 2) as tf.Tensor2D);
}
