/**
 * Exercise 04-cosine-loss of notebook 04, "The cosine-embedding loss": its answer type, check and
 * skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when KD_SOLUTIONS is
 * on.
 */
import * as tf from "@tensorflow/tfjs";
import { cosineEmbedding } from "../../distill/losses.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import {
  callLearner,
  close,
  fmt,
  type FunctionCheckOptions,
  mapMatrix,
  normalMatrix,
  readScalar,
  startFunctionCheck,
} from "../util.ts";
import { defineExercise } from "../define.ts";

/** PyTorch's `CosineEmbeddingLoss` with target 1: mean over rows of 1 − cos(a, b). */
export type CosineLossFn = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar | number;

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

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"04-cosine-loss", CosineLossFn>({
  id: "04-cosine-loss",
  notebook: "04",
  title: "The cosine-embedding loss",
  check: "checkCosineLoss",
  cell: {
    imports: ["answer", "checkCosineLoss", "showResult", "todo"],
    needs: [],
    source:
      `// Exercise: PyTorch's CosineEmbeddingLoss with target 1: the mean over rows of 1 − cos(a, b).
const myCosineLoss = answer("04-cosine-loss", (a, b) => {
  // TODO: cos = sum(a·b, axis 1) / (‖a‖·‖b‖) per row; return the mean of 1 − cos.
  return todo(0, a, b);
});
await showResult(checkCosineLoss(myCosineLoss));
`,
  },
});
