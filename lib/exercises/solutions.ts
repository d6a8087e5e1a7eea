/**
 * A correct solution of every exercise, and `answer`, which a notebook cell
 * wraps around the learner's code: it returns the learner's value, or the
 * solution when `KD_SOLUTIONS=1` (CI runs the notebooks that way, so every
 * check is exercised with a right answer; learners see their own).
 */
import * as tf from "@tensorflow/tfjs";
import { accuracyOf } from "../distill/evaluate.ts";
import { crossEntropy, meanSquaredError, softTargets } from "../distill/losses.ts";
import { loadModel, saveModel } from "../io/model_dir.ts";
import { mnistStudent, mnistTeacher } from "../models/mnist_cnn.ts";
import { type AnswerTypes, checkExerciseId, type ExerciseId } from "./ids.ts";
import { usingSolutions } from "./solutions_switch.ts";

export { usingSolutions };

/** A fresh solution per call: models must not be shared between cells. */
export const SOLUTIONS: { readonly [Id in ExerciseId]: () => AnswerTypes[Id] } = {
  "01-soft-targets": () => (logits, temperature) =>
    logits.map((row) => {
      // Subtracting the row's max keeps exp() finite and leaves softmax unchanged.
      const top = Math.max(...row);
      const e = row.map((z) => Math.exp((z - top) / temperature));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    }),
  "01-temperature-quiz": () => "flatter",
  "01-mixed-loss": () => (studentLogits, teacherLogits, labels, alpha, temperature) =>
    tf.tidy(() =>
      tf.add(
        tf.mul(alpha, crossEntropy(studentLogits, labels)),
        tf.mul(1 - alpha, meanSquaredError(studentLogits, softTargets(teacherLogits, temperature))),
      )
    ),
  "02-cifar-models": () => ({
    teacher: mnistTeacher({ inputShape: [32, 32, 3], seed: 0 }),
    student: mnistStudent({ inputShape: [32, 32, 3], seed: 1 }),
  }),
  "02-cifar-training": () => mnistStudent({ inputShape: [32, 32, 3], seed: 1 }),
  "03-agreement": () => (teacherPred, studentPred) => accuracyOf(studentPred, teacherPred),
  "03-save-reload": () => async (model, dir) => {
    await saveModel(model, dir);
    return await loadModel(dir);
  },
  "04-cosine-loss": () => (a, b) =>
    tf.tidy(() => {
      const dot = tf.sum(tf.mul(a, b), 1);
      // ε on the squared norms, as PyTorch does, so a zero row gives no NaN.
      const norms = tf.sqrt(
        tf.mul(tf.sum(tf.square(a), 1).add(1e-8), tf.sum(tf.square(b), 1).add(1e-8)),
      );
      return tf.mean(tf.sub(1, tf.div(dot, norms)));
    }),
  "04-feature-pooling": () => (x) =>
    tf.tidy(() => tf.mean(tf.reshape(x, [x.shape[0], x.shape[1] / 2, 2]), 2) as tf.Tensor2D),
  "05-best-sweep-cell": () => (cells) => {
    const best = cells.reduce((b, c) => (c.accuracy > b.accuracy ? c : b));
    return { temperature: best.temperature, lambda: best.lambda };
  },
  "05-ensemble-target": () => (probsA, probsB) =>
    probsA.map((row, i) => row.map((p, j) => (p + probsB[i][j]) / 2)),
};

/** A fresh copy of exercise `id`'s solution. */
export function solution<Id extends ExerciseId>(id: Id): AnswerTypes[Id] {
  checkExerciseId(id);
  return SOLUTIONS[id]();
}

/**
 * The value a notebook cell grades: the learner's `mine`, or the solution when
 * `KD_SOLUTIONS=1`. Typed per exercise, so `mine` is checked (and a function's
 * parameters are inferred) from the id:
 *
 * ```ts
 * const mySoftTargets = answer("01-soft-targets", (logits, temperature) => { … });
 * ```
 */
export function answer<Id extends ExerciseId>(id: Id, mine: AnswerTypes[Id]): AnswerTypes[Id] {
  checkExerciseId(id);
  return usingSolutions() ? SOLUTIONS[id]() : mine;
}
