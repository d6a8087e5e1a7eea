/** Notebook 01's exercises: soft targets, the temperature quiz, the lesson's mixed loss. */
import * as tf from "@tensorflow/tfjs";
import {
  crossEntropy,
  meanSquaredError,
  softCrossEntropy,
  softTargets,
} from "../distill/losses.ts";
import { hardLabels, logitsToSoftTargetsMse } from "../distill/terms.ts";
import { createRng } from "../random.ts";
import type { MixedLossFn, SoftTargetsFn, TemperatureChoice } from "./ids.ts";
import { checkFailed, checkPassed, type CheckResult } from "./result.ts";
import {
  callLearner,
  close,
  closeMatrix,
  copyMatrix,
  describeKind,
  firstDifferingRow,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  mapMatrix,
  maxAbsDiff,
  normalMatrix,
  readMatrix,
  readScalar,
  softmaxRows,
  startFunctionCheck,
} from "./util.ts";

// ---------------------------------------------------------------------------------------------
// 01-soft-targets

/** Temperatures the learner's soft targets are checked at, on random logits. */
export const SOFT_TARGET_TEMPERATURES: readonly number[] = [1, 1.5, 4, 10, 0.5];

interface SoftCase {
  label: string;
  logits: number[][];
  temperature: number;
}

function softCases(seed: number): SoftCase[] {
  const random = SOFT_TARGET_TEMPERATURES.map((temperature, k) => ({
    label: `T = ${temperature}`,
    logits: normalMatrix(5, 10, seed + k, 3),
    temperature,
  }));
  // A confident teacher's logits can be large; exp(800) overflows to Infinity.
  const large = [Array.from({ length: 10 }, (_, j) => 800 - 10 * j)];
  return [
    ...random,
    { label: "T = 1 on large logits (800, 790, …)", logits: large, temperature: 1 },
  ];
}

function diagnoseSoftTargets(c: SoftCase, got: number[][]): string {
  const { logits, temperature: t } = c;
  const near = (m: number[][]) => closeMatrix(got, m, 1e-4);
  if (got.some((row) => row.some((v) => !Number.isFinite(v)))) {
    const top = Math.max(...logits.flat().map(Math.abs)) / t;
    return top > 700
      ? `exp() of a logit as large as ${fmt(top)} overflows to Infinity, and Infinity / Infinity ` +
        `is NaN. Subtract each row's largest logit before exp(): softmax does not change when ` +
        `the same number is subtracted from every logit of a row.`
      : "some values are NaN or Infinity: check for a division by zero or a log of 0.";
  }
  if (near(logits)) {
    return "you returned the logits unchanged: divide each row by T, exponentiate, and divide " +
      "by the row's sum (that is softmax(row / T)).";
  }
  if (near(mapMatrix(logits, (z) => z / t))) {
    return "you returned logits / T: the rows still need the softmax — exponentiate and divide by " +
      "the row's sum.";
  }
  if (t !== 1 && near(softmaxRows(logits))) {
    return `your rows equal softmax(logits), the distribution at T = 1: divide the logits by ` +
      `T = ${t} before the softmax.`;
  }
  if (t !== 1 && near(softmaxRows(mapMatrix(logits, (z) => z * t)))) {
    return "your rows equal softmax(logits · T): divide the logits by the temperature instead of " +
      "multiplying.";
  }
  const exps = mapMatrix(logits, (z) => Math.exp(z / t));
  if (near(exps)) {
    return "you exponentiated logits / T but did not divide by the row's sum, so the rows do not " +
      "add up to 1.";
  }
  const columnSums = logits[0].map((_, j) => exps.reduce((s, row) => s + row[j], 0));
  if (logits.length > 1 && near(mapMatrix(exps, (v, _i, j) => v / columnSums[j]))) {
    return "each column sums to 1 instead of each row: normalise over the classes of one example " +
      "(one row), not over the examples.";
  }
  const sums = got.map((row) => row.reduce((a, b) => a + b, 0));
  const bad = sums.findIndex((s) => Math.abs(s - 1) > 1e-4);
  if (bad >= 0) {
    return `row ${bad} sums to ${
      fmt(sums[bad])
    }, not 1: softmax divides exp(z / T) by the sum of ` +
      `its row.`;
  }
  return "the rows are probabilities but not softmax(logits / T): compute exp(z / T) for every " +
    "logit z of a row and divide by the sum over that row.";
}

/**
 * Checks `fn(logits, temperature)` against the library's `softTargets` on
 * seeded random logits at several temperatures, and on large logits (where a
 * naive exp overflows). Max abs error `tolerance` (default 1e-5).
 */
export function checkSoftTargets(
  fn: SoftTargetsFn,
  options: FunctionCheckOptions = {},
): CheckResult {
  const id = "01-soft-targets";
  const start = startFunctionCheck(
    id,
    "checkSoftTargets",
    fn,
    "(logits: number[][], temperature: number) => number[][]",
    options,
    1e-5,
  );
  if ("passed" in start) return start;
  const { seed, tolerance } = start;
  let worst = 0;
  const cases = softCases(seed);
  for (const c of cases) {
    const want = tf.tidy(() =>
      softTargets(tf.tensor2d(c.logits), c.temperature).arraySync() as number[][]
    );
    const got = callLearner(
      () => fn(copyMatrix(c.logits), c.temperature),
      (v) => readMatrix(v, c.logits.length, c.logits[0].length),
    );
    if (!got.ok) {
      return checkFailed(
        id,
        `at ${c.label}, ${got.problem}`,
        "the function gets the logits as number[][] (one row per example) and must return a " +
          "matrix of the same shape: softmax(row / T) for every row.",
      );
    }
    const row = firstDifferingRow(got.value, want, tolerance);
    if (row >= 0) {
      return checkFailed(
        id,
        `differs from softTargets at ${c.label}, row ${row}: expected ${fmtRow(want[row])}, ` +
          `got ${fmtRow(got.value[row])}`,
        diagnoseSoftTargets(c, got.value),
      );
    }
    worst = Math.max(worst, maxAbsDiff(got.value, want));
  }
  return checkPassed(
    id,
    `matches softTargets at T = ${SOFT_TARGET_TEMPERATURES.join(", ")} and on large logits ` +
      `(largest error ${fmt(worst)})`,
  );
}

// ---------------------------------------------------------------------------------------------
// 01-temperature-quiz

export interface QuizCheckOptions {
  /** Where the notebook shows the temperature chart, for the hint. */
  chart?: string;
}

const CHOICES: readonly TemperatureChoice[] = ["flatter", "sharper", "unchanged"];

/** The classroom quiz: does a higher temperature make the output distribution flatter? */
export function checkTemperatureQuiz(
  choice: TemperatureChoice | undefined,
  options: QuizCheckOptions = {},
): CheckResult {
  const { chart = "the chart of the teacher's probabilities at several T" } = options;
  if (typeof chart !== "string" || chart.trim() === "") {
    throw new TypeError("checkTemperatureQuiz: options.chart must name where the chart is");
  }
  const id = "01-temperature-quiz";
  const look = `Look at ${chart}`;
  if (choice === undefined) {
    return checkFailed(
      id,
      "no answer yet",
      `${look}, then replace undefined with "flatter", "sharper" or "unchanged".`,
    );
  }
  const c = typeof choice === "string" ? choice.trim().toLowerCase() : choice;
  if (!(CHOICES as readonly unknown[]).includes(c)) {
    return checkFailed(
      id,
      `${describeKind(choice)} is not one of the choices`,
      `answer "flatter", "sharper" or "unchanged".`,
    );
  }
  if (c === "flatter") {
    return checkPassed(
      id,
      "right: dividing the logits by a larger T shrinks the gaps between them, so the " +
        "probabilities even out (towards 1/10 each); the ranking of the classes never changes",
    );
  }
  if (c === "sharper") {
    return checkFailed(
      id,
      `"sharper" is not what the chart shows`,
      `${look}: does the tallest bar grow or shrink as T rises? Dividing the logits by a larger ` +
        "T makes the differences between them smaller.",
    );
  }
  return checkFailed(
    id,
    `"unchanged" is only half right: the ranking of the classes stays the same, but the ` +
      "probabilities do change",
    `${look} and compare the bars at the smallest and the largest T.`,
  );
}

// ---------------------------------------------------------------------------------------------
// 01-mixed-loss

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
