/**
 * Every public function that touches tensors leaves behind exactly the tensors
 * it returns: `tf.memory().numTensors` is checked around each call.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../lib/backend.ts";
import { createDataset, toTensors } from "../lib/data/dataset.ts";
import { syntheticPeople } from "../lib/data/people.ts";
import { confusionMatrix, evaluateAccuracy, predictClasses } from "../lib/distill/evaluate.ts";
import * as losses from "../lib/distill/losses.ts";
import { forward, gatherStored, predictOutputs } from "../lib/distill/outputs.ts";
import * as terms from "../lib/distill/terms.ts";
import { cifarDeepNN, cifarLightNN, hintRegressor, tabularTeacher } from "../lib/models/mod.ts";

await ensureBackend();

/** Runs `fn`, disposes what it returns, and asserts nothing else stayed. */
async function assertNoLeak(name: string, fn: () => unknown): Promise<void> {
  const before = tf.memory().numTensors;
  const result = await fn();
  tf.dispose(collect(result));
  assert.equal(tf.memory().numTensors, before, `${name} leaked tensors`);
}

function collect(value: unknown): tf.Tensor[] {
  if (value instanceof tf.Tensor) return [value];
  if (Array.isArray(value)) return value.flatMap(collect);
  if (value && typeof value === "object") return Object.values(value).flatMap(collect);
  return [];
}

const { train } = syntheticPeople({ seed: 1 });
const a = () => tf.tensor2d([[1, 2, 3], [0, -1, 2]]);
const y = () => tf.tensor1d([2, 0], "int32");

Deno.test("losses and loss terms keep only their result", async () => {
  const s = a();
  const t = tf.tensor2d([[0.5, 1, 0], [2, 1, 0]]);
  const labels = y();
  await assertNoLeak("softTargets", () => losses.softTargets(s, 2));
  await assertNoLeak("crossEntropy", () => losses.crossEntropy(s, labels));
  await assertNoLeak("meanSquaredError", () => losses.meanSquaredError(s, t));
  await assertNoLeak("klDistillation", () => losses.klDistillation(s, t, 4));
  await assertNoLeak("softCrossEntropy", () => losses.softCrossEntropy(s, t, 4));
  await assertNoLeak("cosineEmbedding", () => losses.cosineEmbedding(s, t));
  const wide = tf.ones([2, 4]) as tf.Tensor2D;
  await assertNoLeak("averagePool1d", () => losses.averagePool1d(wide, 2));
  const all = [
    terms.hardLabels(),
    terms.klDivergence({ temperature: 2 }),
    terms.logitsToSoftTargetsMse({ temperature: 1.5 }),
    terms.teacherLogSoftmaxMse(),
    terms.softTargetCrossEntropy({ temperature: 3, scaleByTSquared: true }),
  ];
  for (const term of all) {
    await assertNoLeak(term.name, () => term.compute({ logits: s }, { logits: t }, labels));
  }
  tf.dispose([s, t, labels, wide]);
});

Deno.test("feature terms, forward passes and inference keep only their result", async () => {
  const teacher = cifarDeepNN({ seed: 1 });
  const student = cifarLightNN({ seed: 1 });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 1);
  const sOut = forward(student, x, true);
  const tOut = forward(teacher, x, false);
  const labels = y();
  await assertNoLeak("forward", () => forward(student, x, true));
  await assertNoLeak("cosineHidden", () => terms.cosineHidden().compute(sOut, tOut, labels));
  const hint = terms.hintRegression({ regressor: hintRegressor({ seed: 1 }) });
  await assertNoLeak("hintRegression", () => hint.compute(sOut, tOut, labels));
  tf.dispose([x, labels, ...collect(sOut), ...collect(tOut)]);
  teacher.dispose();
  student.dispose();
});

Deno.test("dataset and evaluation helpers keep only their result", async () => {
  const model = tabularTeacher({ seed: 2 });
  await assertNoLeak("toTensors", () => toTensors(train, [0, 1, 2]));
  await assertNoLeak("predictOutputs", () => predictOutputs(model, train));
  const stored = predictOutputs(model, train).logits!;
  await assertNoLeak("gatherStored", () => gatherStored(stored, [3, 1]));
  await assertNoLeak("predictClasses", () => predictClasses(model, train));
  await assertNoLeak("evaluateAccuracy", () => evaluateAccuracy(model, train));
  const pred = predictClasses(model, train);
  assert.equal(confusionMatrix(pred, train.y, 3).flat().reduce((s, v) => s + v, 0), train.size);
  const tiny = createDataset({
    name: "tiny",
    x: new Float32Array(6),
    y: new Uint8Array([1]),
    shape: [6],
    classNames: ["a", "b", "c"],
    source: "test",
  });
  await assertNoLeak("predictClasses on one example", () => predictClasses(model, tiny));
  model.dispose();
});
