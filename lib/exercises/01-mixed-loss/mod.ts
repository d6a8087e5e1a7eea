/**
 * Exercise 01-mixed-loss of notebook 01, "The lesson's mixed loss": its answer type, check and
 * skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when KD_SOLUTIONS is
 * on.
 */
import * as tf from "@tensorflow/tfjs";
import {
  crossEntropy,
  meanSquaredError,
  softCrossEntropy,
  softTargets,
} from "../../distill/losses.ts";
import { hardLabels, logitsToSoftTargetsMse } from "../../distill/terms.ts";
import { createRng } from "../../random.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import {
  callLearner,
  close,
  fmt,
  type FunctionCheckOptions,
  normalMatrix,
  readScalar,
  startFunctionCheck,
} from "../util.ts";
import { defineExercise } from "../define.ts";

/**
 * 01: the lesson's loss `α · CE(student, labels) + (1 − α) · MSE(student logits,
 * softmax(teacher / T))`, on tensors (so the library's loss helpers can be used),
 * returning a scalar tensor or a number.
 */
export type MixedLossFn = (
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  alpha: number,
  temperature: number,
) => tf.Scalar | number;

/** (α, T) pairs the mixed loss is checked at; the first is the lesson's. */
export const MIXED_LOSS_SETTINGS: readonly { alpha: number; temperature: number }[] = [
  { alpha: 0.6, temperature: 1.5 },
  { alpha: 0.3, temperature: 4 },
  { alpha: 0.8, temperature: 1 },
];

interface LossBatch {
  student: number[][];
  teacher: number[][];
  labels: number[];
}

function lossBatch(seed: number): LossBatch {
  const rng = createRng(seed + 101);
  return {
    student: normalMatrix(8, 10, seed + 11, 2),
    teacher: normalMatrix(8, 10, seed + 12, 4),
    labels: Array.from({ length: 8 }, () => rng.int(10)),
  };
}

/** The reference and the usual mistakes, each as a number. */
function mixedLossCandidates(b: LossBatch, alpha: number, t: number): Record<string, number> {
  return tf.tidy(() => {
    const s = tf.tensor2d(b.student);
    const te = tf.tensor2d(b.teacher);
    const y = tf.tensor1d(b.labels, "int32");
    const ce = crossEntropy(s, y).dataSync()[0];
    const hard = hardLabels(alpha);
    const soft = logitsToSoftTargetsMse({ temperature: t, weight: 1 - alpha });
    const reference = [hard, soft].reduce(
      (sum, term) =>
        sum + term.weight * term.compute({ logits: s }, { logits: te }, y).dataSync()[0],
      0,
    );
    const mse = (a: tf.Tensor, p: tf.Tensor) => meanSquaredError(a, p).dataSync()[0];
    const p = softTargets(te, t);
    const mix = (c: number, m: number) => alpha * c + (1 - alpha) * m;
    const perRowSum = tf.mean(tf.sum(tf.squaredDifference(s, p), 1)).dataSync()[0];
    return {
      reference,
      zero: 0,
      ce,
      alphaCe: alpha * ce,
      swapped: (1 - alpha) * ce + alpha * mse(s, p),
      noTemperature: mix(ce, mse(s, tf.softmax(te))),
      teacherLogits: mix(ce, mse(s, te)),
      studentSoftmax: mix(ce, mse(softTargets(s, t), p)),
      studentSoftmaxT1: mix(ce, mse(tf.softmax(s), p)),
      mseRowSum: mix(ce, perRowSum),
      softCe: mix(ce, softCrossEntropy(s, te, t).dataSync()[0]),
      softOnly: mse(s, p),
      unweighted: ce + mse(s, p),
    };
  });
}

const MIXED_LOSS_HINTS: Record<string, string> = {
  zero: "0 is the skeleton's placeholder: build α · crossEntropy(studentLogits, labels) + " +
    "(1 − α) · meanSquaredError(studentLogits, softTargets(teacherLogits, T)).",
  ce: "your loss equals the cross-entropy alone: add the soft term (1 − α) · MSE(student logits, " +
    "softTargets(teacherLogits, T)) and weigh the cross-entropy by α.",
  alphaCe: "your loss equals α · CE alone: the soft term (1 − α) · MSE(student logits, " +
    "softTargets(teacherLogits, T)) is missing.",
  swapped: "the weights are swapped: α goes with the cross-entropy, 1 − α with the soft MSE term.",
  noTemperature: "the soft targets lack the temperature: use softTargets(teacherLogits, T), i.e. " +
    "softmax(teacherLogits / T), not softmax(teacherLogits).",
  teacherLogits: "the MSE compares the student's logits with the teacher's raw logits: compare " +
    "them with the teacher's soft targets softmax(teacherLogits / T).",
  studentSoftmax: "the lesson's MSE uses the student's RAW logits, not softmax(student / T): " +
    "odd as it is, keep the recipe (the notebook explains why).",
  studentSoftmaxT1: "the lesson's MSE uses the student's RAW logits, not their softmax.",
  mseRowSum: "your MSE sums the squared errors over the classes: the lesson's MSE (PyTorch's " +
    "MSELoss) averages over every element — use tf.mean or meanSquaredError.",
  softCe: "that is a soft cross-entropy (Hinton-style) term: the lesson uses the mean squared " +
    "error between the student's logits and the soft targets.",
  softOnly: "your loss equals the soft MSE term alone: add α · CE(student logits, labels) and " +
    "weigh the MSE by 1 − α.",
  unweighted: "both terms are there but unweighted: multiply the cross-entropy by α and the MSE " +
    "by 1 − α.",
};

/**
 * Checks the lesson's loss `α · CE + (1 − α) · MSE(student logits,
 * softmax(teacher / T))` against the library's terms (`hardLabels`,
 * `logitsToSoftTargetsMse`) on a seeded random batch at three (α, T) pairs.
 * Relative tolerance 1e-4 by default.
 */
export function checkMixedLoss(fn: MixedLossFn, options: FunctionCheckOptions = {}): CheckResult {
  const id = "01-mixed-loss";
  const start = startFunctionCheck(
    id,
    "checkMixedLoss",
    fn,
    "(studentLogits, teacherLogits, labels, alpha, temperature) => loss",
    options,
    1e-4,
  );
  if ("passed" in start) return start;
  const { seed, tolerance } = start;
  const batch = lossBatch(seed);
  for (const { alpha, temperature } of MIXED_LOSS_SETTINGS) {
    const at = `α = ${alpha}, T = ${temperature}`;
    const candidates = mixedLossCandidates(batch, alpha, temperature);
    const want = candidates.reference;
    const got = callLearner(
      () =>
        fn(
          tf.tensor2d(batch.student),
          tf.tensor2d(batch.teacher),
          tf.tensor1d(batch.labels, "int32"),
          alpha,
          temperature,
        ),
      readScalar,
    );
    if (!got.ok) {
      return checkFailed(
        id,
        `at ${at}, ${got.problem}`,
        "return one number (or a scalar tensor): α · CE + (1 − α) · MSE.",
      );
    }
    if (!Number.isFinite(got.value)) {
      return checkFailed(
        id,
        `at ${at} the loss is ${got.value}`,
        "a NaN usually comes from a log of 0 or a division by zero: the library's crossEntropy " +
          "and softTargets are numerically safe.",
      );
    }
    if (!close(got.value, want, tolerance)) {
      const match = Object.keys(MIXED_LOSS_HINTS).find((k) =>
        close(got.value, candidates[k], 1e-4) && !close(candidates[k], want, 1e-4)
      );
      return checkFailed(
        id,
        `at ${at} on a batch of 8 examples: expected ${fmt(want)}, got ${fmt(got.value)}`,
        match
          ? MIXED_LOSS_HINTS[match]
          : `compute the two terms separately and compare: CE = ${fmt(candidates.ce)}, ` +
            `MSE(student logits, soft targets) = ${fmt(candidates.softOnly)}, then combine ` +
            `them as α · CE + (1 − α) · MSE.`,
      );
    }
  }
  return checkPassed(
    id,
    `matches the library's hardLabels + logitsToSoftTargetsMse terms at ${
      MIXED_LOSS_SETTINGS.map((s) => `(α ${s.alpha}, T ${s.temperature})`).join(", ")
    }`,
  );
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"01-mixed-loss", MixedLossFn>({
  id: "01-mixed-loss",
  notebook: "01",
  title: "The lesson's mixed loss",
  check: "checkMixedLoss",
  cell: {
    imports: ["answer", "checkMixedLoss", "showResult", "todo"],
    needs: [],
    source: `// Exercise: the lesson's loss, on tensors. Helpers: crossEntropy, softTargets,
// meanSquaredError (from the library), tf.add and tf.mul.
const lessonLoss = answer(
  "01-mixed-loss",
  (studentLogits, teacherLogits, labels, alpha, temperature) => {
    // TODO: alpha · CE(studentLogits, labels)
    //       + (1 − alpha) · MSE(studentLogits, softmax(teacherLogits / temperature))
    return todo(0, studentLogits, teacherLogits, labels, alpha, temperature);
  },
);
await showResult(checkMixedLoss(lessonLoss));
`,
  },
});
