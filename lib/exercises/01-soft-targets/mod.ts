/**
 * Exercise 01-soft-targets of notebook 01, "Soft targets with temperature": its answer type, check
 * and skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when
 * KD_SOLUTIONS is on.
 */
import * as tf from "@tensorflow/tfjs";
import { softTargets } from "../../distill/losses.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import {
  callLearner,
  closeMatrix,
  copyMatrix,
  firstDifferingRow,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  mapMatrix,
  maxAbsDiff,
  normalMatrix,
  readMatrix,
  softmaxRows,
  startFunctionCheck,
} from "../util.ts";
import { defineExercise } from "../define.ts";

/** softmax(logits / T) row by row, on plain numbers. */
export type SoftTargetsFn = (logits: number[][], temperature: number) => number[][];

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

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"01-soft-targets", SoftTargetsFn>({
  id: "01-soft-targets",
  notebook: "01",
  title: "Soft targets with temperature",
  check: "checkSoftTargets",
  cell: {
    imports: ["answer", "checkSoftTargets", "showResult", "todo"],
    needs: [],
    source: `// Exercise: soft targets. Write softmax(row / temperature) for every row of logits.
const mySoftTargets = answer("01-soft-targets", (logits, temperature) => {
  // TODO: divide each logit by the temperature, exponentiate, divide by the row's sum.
  return todo(logits, temperature);
});
await showResult(checkSoftTargets(mySoftTargets));
`,
  },
});
