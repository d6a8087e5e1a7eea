/** Notebook 04's exercises: the cosine-embedding loss, and pooling teacher features. */
import * as tf from "@tensorflow/tfjs";
import { averagePool1d, cosineEmbedding } from "../distill/losses.ts";
import type { CosineLossFn, FeaturePoolFn } from "./ids.ts";
import { checkFailed, checkPassed, type CheckResult } from "./result.ts";
import {
  callLearner,
  close,
  closeMatrix,
  firstDifferingRow,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  mapMatrix,
  normalMatrix,
  readScalar,
  readTensor2D,
  startFunctionCheck,
} from "./util.ts";

// ---------------------------------------------------------------------------------------------
// 04-cosine-loss

interface CosineCase {
  label: string;
  a: number[][];
  b: number[][];
}

function cosineCases(seed: number): CosineCase[] {
  const a = normalMatrix(6, 16, seed + 41);
  const rows = normalMatrix(3, 16, seed + 43);
  const orthogonal = rows[0].map((_, j) => (j % 2 === 0 ? rows[0][j + 1] : -rows[0][j - 1]));
  return [
    { label: "random rows (6 × 16)", a, b: normalMatrix(6, 16, seed + 42) },
    { label: "parallel rows (b = 2.5·a, loss 0)", a, b: mapMatrix(a, (v) => 2.5 * v) },
    { label: "opposite rows (b = −0.5·a, loss 2)", a, b: mapMatrix(a, (v) => -0.5 * v) },
    {
      label: "one parallel, one opposite and one orthogonal row (loss 1)",
      a: [rows[1], rows[2], rows[0]],
      b: [rows[1].map((v) => 3 * v), rows[2].map((v) => -v), orthogonal],
    },
  ];
}

function cosineCandidates(c: CosineCase): Record<string, number> {
  return tf.tidy(() => {
    const a = tf.tensor2d(c.a);
    const b = tf.tensor2d(c.b);
    const dot = tf.sum(tf.mul(a, b), 1);
    const cos = tf.div(dot, tf.mul(tf.norm(a, 2, 1), tf.norm(b, 2, 1)));
    const n = c.a.length;
    // Normalised over the examples (axis 0) instead of over each row.
    const colCos = tf.sum(tf.mul(tf.div(a, tf.norm(a, 2, 0)), tf.div(b, tf.norm(b, 2, 0))), 1);
    const flatCos = tf.div(tf.sum(tf.mul(a, b)), tf.mul(tf.norm(a), tf.norm(b)));
    const value = (t: tf.Tensor) => t.dataSync()[0];
    return {
      reference: value(cosineEmbedding(a, b)),
      meanCos: value(tf.mean(cos)),
      sum: value(tf.sum(tf.sub(1, cos))),
      noNorm: value(tf.mean(tf.sub(1, dot))),
      flat: 1 - value(flatCos),
      columns: value(tf.mean(tf.sub(1, colCos))),
      negCos: -value(tf.mean(cos)),
      rows: n,
    };
  });
}

const COSINE_HINTS: Record<string, string> = {
  meanCos: "you returned the mean cosine similarity; the loss is its complement, 1 − cos " +
    "(0 when the vectors point the same way).",
  negCos: "you returned −cos; PyTorch's CosineEmbeddingLoss with target 1 is 1 − cos.",
  sum: "you summed 1 − cos over the rows: take the mean over the batch (tf.mean).",
  noNorm: "you used the dot product without dividing by the norms: cos(a, b) = a·b / (‖a‖·‖b‖).",
  flat: "you computed one cosine over the whole batch: compute one per row (sum over axis 1), " +
    "then average.",
  columns:
    "you normalised along axis 0 (over the examples): take each row's norm, tf.norm(a, 2, 1).",
};

/**
 * Checks `fn(a, b)` — mean over rows of 1 − cos(aᵢ, bᵢ) — against the
 * library's `cosineEmbedding` on seeded random rows and on parallel (0),
 * opposite (2) and mixed rows. Tolerance 1e-4 (the reference adds ε = 1e-8).
 */
export function checkCosineLoss(fn: CosineLossFn, options: FunctionCheckOptions = {}): CheckResult {
  const id = "04-cosine-loss";
  const start = startFunctionCheck(
    id,
    "checkCosineLoss",
    fn,
    "(a: tf.Tensor2D, b: tf.Tensor2D) => loss",
    options,
    1e-4,
  );
  if ("passed" in start) return start;
  const { seed, tolerance } = start;
  for (const c of cosineCases(seed)) {
    const k = cosineCandidates(c);
    const got = callLearner(() => fn(tf.tensor2d(c.a), tf.tensor2d(c.b)), readScalar);
    if (!got.ok) {
      return checkFailed(
        id,
        `on ${c.label}, ${got.problem}`,
        "return the batch mean of 1 − cos(a, b).",
      );
    }
    const g = got.value;
    if (Number.isFinite(g) && close(g, k.reference, tolerance)) continue;
    const match = Object.keys(COSINE_HINTS).find((key) =>
      close(g, k[key], 1e-4) && !close(k[key], k.reference, 1e-4)
    );
    return checkFailed(
      id,
      `on ${c.label}: expected ${fmt(k.reference)}, got ${fmt(g)}`,
      match
        ? COSINE_HINTS[match]
        : Number.isNaN(g)
        ? "NaN: a division by a zero norm? Add a tiny ε (1e-8) to the squared norms."
        : "for each row compute cos = sum(a·b, axis 1) / (‖a‖·‖b‖), then return mean(1 − cos): " +
          "0 for parallel rows, 1 for orthogonal, 2 for opposite.",
    );
  }
  return checkPassed(
    id,
    "matches cosineEmbedding on random, parallel (0), opposite (2) and mixed rows",
  );
}

// ---------------------------------------------------------------------------------------------
// 04-feature-pooling

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
