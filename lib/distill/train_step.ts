/**
 * One training step, the whole of distillation's math: the student's forward pass, each loss
 * term against the labels or the frozen teacher's outputs, their weighted sum, one optimiser
 * update. `fit` runs it for every batch (the shape of the Keras example's
 * `Distiller.train_step`); the loop around it — shuffles, teacher cache, resume, progress — is
 * fit's.
 */
import * as tf from "@tensorflow/tfjs";
import { withoutTape } from "../backend.ts";
import { forward, type Outputs } from "./outputs.ts";
import type { LossTerm } from "./terms.ts";

/** One batch: inputs and integer labels. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor1D;
}

/**
 * What one step measured on its batch, before the update. (A type, not an interface, so that
 * `tf.tidy` can return it.)
 */
export type StepResult = {
  /** The weighted sum of the terms: the loss the update minimised. */
  loss: number;
  /** Each term's unweighted loss, by term name. */
  parts: Record<string, number>;
  /** Examples of the batch whose largest logit is the label. */
  correct: number;
};

/** One optimiser step of `model` (and the terms' adapters) on the weighted sum of `terms`. */
export function trainStep(
  model: tf.LayersModel,
  terms: readonly LossTerm[],
  batch: Batch,
  teacherOutputs: Partial<Outputs>,
  optimizer: tf.Optimizer,
): StepResult {
  const trained = [model, ...terms.flatMap((t) => t.adapters)];
  const variables = trained.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  const measured = tf.tidy(() => {
    let report!: tf.Tensor1D;
    optimizer.minimize(
      () => {
        const student = forward(model, batch.x, true);
        const losses = terms.map((term) => term.compute(student, teacherOutputs, batch.y));
        const loss = tf.addN(losses.map((l, i) => tf.mul(l, terms[i].weight))) as tf.Scalar;
        // One tensor, so the step costs one read from the backend. No gradient flows through
        // it: off the tape, its kernels run without the tape's bookkeeping.
        report = withoutTape(() => {
          const correct = tf.sum(
            tf.cast(tf.equal(tf.argMax(student.logits, 1), batch.y), "float32"),
          );
          return tf.keep(tf.stack([loss, ...losses, correct]) as tf.Tensor1D);
        });
        return loss;
      },
      false,
      variables,
    );
    return report;
  });
  const v = measured.dataSync();
  measured.dispose();
  const parts: Record<string, number> = {};
  terms.forEach((t, i) => (parts[t.name] = v[i + 1]));
  return { loss: v[0], parts, correct: v[terms.length + 1] };
}
