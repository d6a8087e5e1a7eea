import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { hardLabels, teacherLogSoftmaxMse } from "../lib/distill/terms.ts";
import { trainStep } from "../lib/distill/train_step.ts";
import { fit } from "../lib/distill/fit.ts";
import { createDataset } from "../lib/data/dataset.ts";

/** 2 inputs → 2 logits, all weights zero: every number below can be worked out by hand. */
function zeroModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 2, inputShape: [2], kernelInitializer: "zeros" }));
  return model;
}

Deno.test("trainStep: the weighted terms, the hits and one SGD update, worked by hand", () => {
  const model = zeroModel();
  const x = tf.tensor2d([[1, 0], [0, 1]]);
  const y = tf.tensor1d([0, 1], "int32");
  const teacherLogits = tf.zeros([2, 2]) as tf.Tensor2D;
  const terms = [hardLabels(), teacherLogSoftmaxMse({ weight: 0.5 })];
  const sgd = tf.train.sgd(0.1);
  const step = trainStep(model, terms, { x, y }, { logits: teacherLogits }, sgd);
  // Zero logits: CE = ln 2; the target is log softmax = −ln 2 for both classes, so MSE = (ln 2)².
  const ln2 = Math.log(2);
  assert.ok(Math.abs(step.parts.ce - ln2) < 1e-6, `ce ${step.parts.ce}`);
  assert.ok(Math.abs(step.parts["logsoftmax-mse"] - ln2 ** 2) < 1e-6);
  assert.ok(Math.abs(step.loss - (ln2 + 0.5 * ln2 ** 2)) < 1e-6, `loss ${step.loss}`);
  // argMax of [0, 0] is class 0: the first example counts as right, the second not.
  assert.equal(step.correct, 1);
  // ∂CE/∂z = (softmax − onehot) / 2 = ∓0.25; ∂(0.5·MSE)/∂z = 0.5 · 2(0 + ln 2) / 4 per logit.
  const g = ln2 / 4;
  const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
  const want = [-0.1 * (-0.25 + g), -0.1 * (0.25 + g), -0.1 * (0.25 + g), -0.1 * (-0.25 + g)];
  kernel.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `kernel ${kernel}, ${want}`));
  bias.forEach((v) => assert.ok(Math.abs(v + 0.1 * 2 * g) < 1e-6, `bias ${bias}`));
  // The first step made SGD's learning-rate scalar; a second one adds nothing.
  const before = tf.memory().numTensors;
  trainStep(model, terms, { x, y }, { logits: teacherLogits }, sgd);
  assert.equal(tf.memory().numTensors, before, "trainStep leaks no tensors");
  tf.dispose([x, y, teacherLogits]);
  model.dispose();
});

Deno.test("fit refuses two terms of one name: the history keeps one loss per name", async () => {
  const train = createDataset({
    name: "two rows",
    x: new Float32Array([1, 0, 0, 1]),
    y: new Uint8Array([0, 1]),
    shape: [2],
    classNames: ["a", "b"],
    source: "test",
  });
  await assert.rejects(
    fit({
      model: zeroModel(),
      train,
      terms: [hardLabels(), hardLabels()],
      epochs: 1,
      batchSize: 2,
    }),
    { message: 'two loss terms are named "ce"; the history keeps one per name' },
  );
});
