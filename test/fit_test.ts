import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createDataset, type Dataset } from "../lib/data/dataset.ts";
import { evaluateAccuracy } from "../lib/distill/evaluate.ts";
import { defaultOptimizer, fit, type FitOptions } from "../lib/distill/fit.ts";
import { predictOutputs } from "../lib/distill/outputs.ts";
import {
  cosineHidden,
  hardLabels,
  hintRegression,
  klDivergence,
  teacherLogSoftmaxMse,
} from "../lib/distill/terms.ts";
import { mnistStudent, tabularStudent, tabularTeacher } from "../lib/models/mod.ts";
import { createRng } from "../lib/random.ts";
import { ensureBackend } from "../lib/backend.ts";

// Train on the backend users get (wasm with our kernels here).
await ensureBackend();

/** Two Gaussian blobs per class in 6-d: learnable, seeded. */
function blobs(size: number, seed: number): Dataset {
  const rng = createRng(seed);
  const x = new Float32Array(size * 6);
  const y = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = (j % 3 === y[i] ? 1 : -0.5) + 0.5 * rng.normal();
  }
  return createDataset({
    name: "blobs",
    x,
    y,
    shape: [6],
    classNames: ["a", "b", "c"],
    source: "test",
  });
}

const train = blobs(120, 1);
const test = blobs(60, 2);

Deno.test("supervised fit: loss falls, accuracy rises, same seed gives the same numbers", async () => {
  const run = async () =>
    (await fit({
      model: tabularTeacher({ seed: 3 }),
      train,
      test,
      epochs: 5,
      batchSize: 10,
      seed: 7,
      optimizer: tf.train.sgd(0.05),
    })).history;
  const a = await run();
  const b = await run();
  assert.equal(a.length, 5);
  assert.ok(a[4].loss < a[0].loss * 0.8, `loss ${a[0].loss} → ${a[4].loss}`);
  assert.ok(a[4].testAccuracy! > 0.8, `test accuracy ${a[4].testAccuracy}`);
  assert.deepEqual(
    a.map((r) => [r.loss, r.trainAccuracy, r.testAccuracy]),
    b.map((r) => [r.loss, r.trainAccuracy, r.testAccuracy]),
  );
  assert.deepEqual(Object.keys(a[0].parts), ["ce"]);
});

Deno.test("distillation leaks no tensors over several epochs, cached or not", async () => {
  const teacher = tabularTeacher({ seed: 3 });
  await fit({ model: teacher, train, epochs: 3, batchSize: 10, optimizer: tf.train.sgd(0.05) });
  for (const cacheTeacher of [true, false]) {
    const student = tabularStudent({ seed: 4 });
    const optimizer = tf.train.adam(0.01);
    const terms = [hardLabels(0.5), klDivergence({ temperature: 2, weight: 0.5 })];
    // The first epoch creates the optimizer's slots; count from there.
    await fit({
      model: student,
      teacher,
      train,
      test,
      terms,
      epochs: 1,
      batchSize: 10,
      optimizer,
      cacheTeacher,
    });
    const before = tf.memory().numTensors;
    const { history } = await fit({
      model: student,
      teacher,
      train,
      test,
      terms,
      epochs: 4,
      batchSize: 10,
      optimizer,
      cacheTeacher,
    });
    assert.equal(tf.memory().numTensors, before, `cacheTeacher=${cacheTeacher}`);
    assert.deepEqual(Object.keys(history[0].parts), ["ce", "kd"]);
  }
});

Deno.test("cached teacher outputs give the same training as recomputed ones", async () => {
  const teacher = tabularTeacher({ seed: 3 });
  const run = async (cacheTeacher: boolean) =>
    (await fit({
      model: tabularStudent({ seed: 4 }),
      teacher,
      train,
      terms: [teacherLogSoftmaxMse()],
      epochs: 2,
      batchSize: 10,
      optimizer: tf.train.sgd(0.05),
      cacheTeacher,
    })).history.map((r) => r.loss);
  const a = await run(true);
  const b = await run(false);
  assert.equal(a.length, 2, "one loss per epoch");
  assert.equal(b.length, 2, "one loss per epoch");
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${v} vs ${b[i]}`));
});

Deno.test("notebook 03: a student trained only on teacher outputs agrees with the teacher", async () => {
  const teacher = tabularTeacher({ seed: 3 });
  await fit({ model: teacher, train, epochs: 20, batchSize: 10, optimizer: tf.train.sgd(0.05) });
  const student = tabularStudent({ seed: 4 });
  await fit({
    model: student,
    teacher,
    train,
    terms: [teacherLogSoftmaxMse()],
    epochs: 30,
    batchSize: 10,
    optimizer: tf.train.sgd(0.05),
  });
  const teacherAcc = evaluateAccuracy(teacher, test);
  const studentAcc = evaluateAccuracy(student, test);
  assert.ok(teacherAcc > 0.8, `teacher ${teacherAcc}`);
  assert.ok(
    Math.abs(studentAcc - teacherAcc) < 0.1,
    `student ${studentAcc} vs teacher ${teacherAcc}`,
  );
});

Deno.test("fit rejects bad options with the value and the fix", async () => {
  const student = tabularStudent();
  await assert.rejects(
    () => fit({ model: student, train, epochs: 0, batchSize: 10 }),
    /epochs must be a positive integer, got 0/,
  );
  await assert.rejects(
    () =>
      fit({
        model: student,
        train,
        epochs: 1,
        batchSize: 10,
        terms: [klDivergence({ temperature: 2 })],
      }),
    /terms kd read teacher outputs, but no teacher was given/,
  );
});

Deno.test("a NaN loss stops training at that batch, naming the term", async () => {
  const x = new Float32Array(train.x);
  x[6 * 25] = NaN;
  const poisoned = { ...train, x };
  await assert.rejects(
    () =>
      fit({ model: tabularStudent(), train: poisoned, epochs: 1, batchSize: 10, shuffle: false }),
    /loss became NaN at epoch 1, batch 3 \(terms: ce\)/,
  );
});

Deno.test("distillation with the same seed gives a bit-identical history", async () => {
  const teacher = tabularTeacher({ seed: 3 });
  const run = async () =>
    (await fit({
      model: tabularStudent({ seed: 4 }),
      teacher,
      train,
      test,
      terms: [hardLabels(0.5), klDivergence({ temperature: 4, weight: 0.5 })],
      epochs: 3,
      batchSize: 10,
      seed: 11,
    })).history.map((r) => [r.loss, r.parts.ce, r.parts.kd, r.trainAccuracy, r.testAccuracy]);
  assert.deepEqual(await run(), await run());
});

Deno.test("teacher outputs computed once can be shared by several runs", async () => {
  const teacher = tabularTeacher({ seed: 3 });
  const terms = [hardLabels(0.5), klDivergence({ temperature: 2, weight: 0.5 })];
  const options = { teacher, train, terms, epochs: 2, batchSize: 10, seed: 5 };
  const own = await fit({ ...options, model: tabularStudent({ seed: 4 }) });
  const precomputedTeacherOutputs = predictOutputs(teacher, train);
  const shared = await fit({
    ...options,
    model: tabularStudent({ seed: 4 }),
    precomputedTeacherOutputs,
  });
  assert.deepEqual(shared.history.map((r) => r.loss), own.history.map((r) => r.loss));
  await assert.rejects(
    fit({
      ...options,
      model: tabularStudent(),
      precomputedTeacherOutputs: predictOutputs(teacher, test),
    }),
    /precomputedTeacherOutputs hold 60 rows but blobs has 120 examples/,
  );
});

Deno.test("fit without a model says what it needs", async () => {
  await assert.rejects(
    fit({ train, epochs: 1, batchSize: 10 } as unknown as FitOptions),
    /fit needs `model`, the tf.LayersModel to train/,
  );
});

Deno.test("each term says which teacher outputs it reads", () => {
  const regressor = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
  assert.deepEqual(hardLabels().readsFromTeacher, []);
  assert.deepEqual(klDivergence({ temperature: 2 }).readsFromTeacher, ["logits"]);
  assert.deepEqual(cosineHidden().readsFromTeacher, ["hidden"]);
  const hint = hintRegression({ regressor });
  assert.deepEqual(hint.readsFromTeacher, ["featureMap"]);
  assert.deepEqual(hint.adapters, [regressor]);
  assert.deepEqual(Object.keys(hint).sort(), [
    "adapters",
    "compute",
    "name",
    "readsFromTeacher",
    "weight",
  ]);
  regressor.dispose();
});

Deno.test("a batch-norm CNN with the default Adam leaks no tensors over several epochs", async () => {
  // notebook 01's student on 8×8 images: SameConv2D, BatchNorm (fused wasm kernels), FusedAdam.
  const rng = createRng(7);
  const images = createDataset({
    name: "tiny-images",
    x: Float32Array.from({ length: 40 * 64 }, () => rng.normal()),
    y: Uint8Array.from({ length: 40 }, (_, i) => i % 10),
    shape: [8, 8, 1],
    classNames: [..."0123456789"],
    source: "test",
  });
  const student = mnistStudent({ inputShape: [8, 8, 1], seed: 1 });
  const optimizer = defaultOptimizer(0.01);
  // The first epoch creates the optimizer's moments; count from there.
  await fit({ model: student, train: images, epochs: 1, batchSize: 10, optimizer });
  const before = tf.memory().numTensors;
  const { history } = await fit({
    model: student,
    train: images,
    test: images,
    epochs: 3,
    batchSize: 10,
    optimizer,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(history[2].loss < history[0].loss, `the loss falls: ${history.map((h) => h.loss)}`);
  optimizer.dispose();
  student.dispose();
});
