import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  averagePool1d,
  cosineEmbedding,
  crossEntropy,
  klDistillation,
  meanSquaredError,
  softCrossEntropy,
  softTargets,
} from "../lib/distill/losses.ts";
import {
  cosineHidden,
  hardLabels,
  klDivergence,
  logitsToSoftTargetsMse,
  softTargetCrossEntropy,
  teacherLogSoftmaxMse,
} from "../lib/distill/terms.ts";

// Values below were worked out by hand (natural logs, 6 significant digits).
const near = (actual: number, expected: number, tol = 1e-5) =>
  assert.ok(Math.abs(actual - expected) < tol, `${actual} ≠ ${expected}`);
const value = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};
const row = (...v: number[]) => tf.tensor2d([v]);
const LN3 = Math.log(3);

Deno.test("softTargets: softmax of logits / T, flatter as T grows", () => {
  const logits = row(1, 2, 3);
  const t1 = softTargets(logits, 1).dataSync();
  const t2 = softTargets(logits, 2).dataSync();
  [0.0900306, 0.244728, 0.665241].forEach((p, i) => near(t1[i], p));
  [0.186324, 0.307196, 0.506480].forEach((p, i) => near(t2[i], p));
  assert.ok(Math.max(...t2) < Math.max(...t1));
  assert.throws(() => softTargets(logits, 0), /temperature must be a positive number, got 0/);
});

Deno.test("crossEntropy: −log softmax at the label, averaged", () => {
  near(value(crossEntropy(row(1, 2, 3), tf.tensor1d([2], "int32"))), 0.407606);
  near(value(crossEntropy(tf.tensor2d([[0, 0], [0, 0]]), tf.tensor1d([0, 1], "int32"))), Math.LN2);
  assert.throws(
    () => crossEntropy(row(1, 2), tf.tensor1d([0, 1], "int32")),
    /2 labels for 1 rows of logits/,
  );
});

Deno.test("meanSquaredError averages over every element and checks shapes", () => {
  near(value(meanSquaredError(row(1, 2), row(3, 5))), 6.5);
  assert.throws(
    () => meanSquaredError(row(1, 2), row(1, 2, 3)),
    /shapes differ, \[1,2\] vs \[1,3\]/,
  );
});

Deno.test("klDistillation: T² · KL(teacher ‖ student), batch mean", () => {
  // p = [0.75, 0.25], q = [0.5, 0.5]: KL = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.130812.
  near(value(klDistillation(row(0, 0), row(LN3, 0), 1)), 0.130812);
  // Doubling the teacher's logits at T = 2 gives the same p; T² = 4 scales it.
  near(value(klDistillation(row(0, 0), row(2 * LN3, 0), 2)), 0.523248);
  near(value(klDistillation(row(1, 2, 3), row(1, 2, 3), 4)), 0);
});

Deno.test("softCrossEntropy: −Σ p_teacher · log q_student", () => {
  near(value(softCrossEntropy(row(0, 0), row(LN3, 0), 1)), Math.LN2);
  // Cross-entropy is KL plus the teacher's entropy (0.562335 for [0.75, 0.25]).
  near(value(softCrossEntropy(row(LN3, 0), row(LN3, 0), 1)), 0.562335);
});

Deno.test("cosineEmbedding: mean of 1 − cos", () => {
  near(value(cosineEmbedding(row(1, 0), row(1, 1))), 1 - Math.SQRT1_2);
  near(value(cosineEmbedding(row(1, 2), row(-1, -2))), 2);
  near(
    value(cosineEmbedding(tf.tensor2d([[1, 0], [1, 2]]), tf.tensor2d([[1, 1], [-1, -2]]))),
    (1 - Math.SQRT1_2 + 2) / 2,
  );
});

Deno.test("averagePool1d pools neighbours, as PyTorch's avg_pool1d", () => {
  assert.deepEqual(Array.from(averagePool1d(row(1, 3, 5, 7), 2).dataSync()), [2, 6]);
  assert.throws(() => averagePool1d(row(1, 2, 3), 2), /size 2 must divide the feature count 3/);
});

Deno.test("loss terms compute the lesson recipes", () => {
  const s = { logits: row(0, 0) };
  const t = { logits: row(LN3, 0) };
  const y = tf.tensor1d([0], "int32");
  // Notebook 01 with α = 0.6: 0.6 · ln 2 + 0.4 · MSE([0, 0], [0.75, 0.25]) = 0.540888.
  const ce = hardLabels(0.6);
  const soft = logitsToSoftTargetsMse({ temperature: 1, weight: 0.4 });
  near(
    ce.weight * value(ce.compute(s, t, y)) + soft.weight * value(soft.compute(s, t, y)),
    0.540888,
  );
  // Notebook 03: MSE to log-softmax [ln 0.75, ln 0.25].
  near(value(teacherLogSoftmaxMse().compute(s, t, y)), 1.002287);
  near(value(klDivergence({ temperature: 1 }).compute(s, t, y)), 0.130812);
  near(value(softTargetCrossEntropy({ temperature: 1 }).compute(s, t, y)), Math.LN2);
  near(
    value(
      softTargetCrossEntropy({ temperature: 2, scaleByTSquared: true }).compute(s, {
        logits: row(2 * LN3, 0),
      }, y),
    ),
    4 * Math.LN2,
  );
  const cos = cosineHidden({ pool: 2 });
  near(
    value(cos.compute({ ...s, hidden: row(1, 0) }, { hidden: row(1, 1, 1, 1) }, y)),
    1 - Math.SQRT1_2,
  );
  assert.throws(
    () => cos.compute(s, { hidden: row(1, 1) }, y),
    /student hidden features is missing/,
  );
  assert.throws(() => hardLabels(-1), /weight must be a finite number ≥ 0, got -1/);
});
