/**
 * Exercise 04-feature-pooling of notebook 04, "Pooling 2048 teacher features to 1024": its answer
 * type, check and skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when
 * KD_SOLUTIONS is on.
 */
import * as tf from "@tensorflow/tfjs";
import { averagePool1d } from "../../distill/losses.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import {
  callLearner,
  closeMatrix,
  firstDifferingRow,
  fmtRow,
  type FunctionCheckOptions,
  normalMatrix,
  readTensor2D,
  startFunctionCheck,
} from "../util.ts";
import { defineExercise } from "../define.ts";

/** the teacher's `[n, 2048]` features pooled to the student's `[n, 1024]`. */
export type FeaturePoolFn = (teacherFeatures: tf.Tensor2D) => tf.Tensor2D;

function poolCandidates(x: number[][]): Record<string, number[][]> {
  const half = x[0].length / 2;
  const pairs = (f: (a: number, b: number) => number) =>
    x.map((row) => Array.from({ length: half }, (_, j) => f(row[2 * j], row[2 * j + 1])));
  return {
    reference: tf.tidy(() => averagePool1d(tf.tensor2d(x), 2).arraySync() as number[][]),
    max: pairs(Math.max),
    sum: pairs((a, b) => a + b),
    even: pairs((a) => a),
    odd: pairs((_a, b) => b),
    firstHalf: x.map((row) => row.slice(0, half)),
    halves: x.map((row) => row.slice(0, half).map((v, j) => (v + row[half + j]) / 2)),
  };
}

const POOL_HINTS: Record<string, string> = {
  max: "that is max pooling: the tutorial AVERAGES each pair of neighbouring features " +
    "(avg_pool1d), so both features contribute.",
  sum: "you summed each pair: average it (divide by 2).",
  even: "you took every other feature (0, 2, 4, …), which throws half of them away: average each " +
    "pair (2j, 2j + 1) instead.",
  odd: "you took every other feature (1, 3, 5, …), which throws half of them away: average each " +
    "pair (2j, 2j + 1) instead.",
  firstHalf: "you kept the first 1024 features and dropped the rest: average neighbouring pairs " +
    "so every feature contributes.",
  halves:
    "you averaged feature j with feature j + 1024; pooling averages NEIGHBOURS, features 2j " +
    "and 2j + 1 (reshape to [n, 1024, 2] and take the mean over the last axis).",
};

/**
 * Checks `fn(x)` — the teacher's `[n, 2048]` features pooled to `[n, 1024]` —
 * against `averagePool1d(x, 2)` on seeded random features (two batch sizes).
 */
export function checkFeaturePooling(
  fn: FeaturePoolFn,
  options: FunctionCheckOptions = {},
): CheckResult {
  const id = "04-feature-pooling";
  const start = startFunctionCheck(
    id,
    "checkFeaturePooling",
    fn,
    "(teacherFeatures: tf.Tensor2D) => tf.Tensor2D",
    options,
    1e-5,
  );
  if ("passed" in start) return start;
  const { seed, tolerance } = start;
  for (const n of [3, 1]) {
    const x = normalMatrix(n, 2048, seed + 50 + n);
    const got = callLearner(() => fn(tf.tensor2d(x)), readTensor2D);
    const at = `on a [${n}, 2048] batch`;
    if (!got.ok) {
      return checkFailed(id, `${at}, ${got.problem}`, "return a [n, 1024] tf.Tensor2D.");
    }
    const [rows, cols] = got.value.shape;
    if (rows !== n || cols !== 1024) {
      return checkFailed(
        id,
        `${at}, it returned shape [${rows}, ${cols}]; the student's feature is [${n}, 1024]`,
        cols === 2048 && rows === n
          ? "the features are not pooled yet: average each pair of neighbouring features " +
            "(2048 / 2 = 1024)."
          : rows !== n
          ? "keep one row per example: pool along the features (axis 1), not the batch."
          : `${2048 / cols} features per output: the pool size must be 2 (2048 → 1024).`,
      );
    }
    const k = poolCandidates(x);
    const row = firstDifferingRow(got.value.values, k.reference, tolerance);
    if (row < 0) continue;
    const match = Object.keys(POOL_HINTS).find((key) =>
      closeMatrix(got.value.values, k[key], 1e-5)
    );
    return checkFailed(
      id,
      `${at}, row ${row} differs: expected ${fmtRow(k.reference[row], 4)}, got ${
        fmtRow(got.value.values[row], 4)
      } (its input starts ${fmtRow(x[row], 4)})`,
      match
        ? POOL_HINTS[match]
        : "output j must be the mean of input features 2j and 2j + 1: averagePool1d(x, 2), or " +
          "tf.mean(tf.reshape(x, [n, 1024, 2]), 2).",
    );
  }
  return checkPassed(id, "shapes [n, 1024] and values match averagePool1d(x, 2)");
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"04-feature-pooling", FeaturePoolFn>({
  id: "04-feature-pooling",
  notebook: "04",
  title: "Pooling 2048 teacher features to 1024",
  check: "checkFeaturePooling",
  cell: {
    imports: ["answer", "checkFeaturePooling", "showResult", "todo"],
    needs: [],
    source:
      `// Exercise: the teacher's feature has 2048 values, the student's 1024. Pool the teacher's.
const poolTeacherFeatures = answer("04-feature-pooling", (teacherFeatures) => {
  // TODO: return [n, 1024]: combine neighbouring features the way the tutorial does.
  return todo(teacherFeatures);
});
await showResult(checkFeaturePooling(poolTeacherFeatures));
`,
  },
});
