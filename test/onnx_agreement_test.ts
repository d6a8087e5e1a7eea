/**
 * Every lesson teacher and student, and the shipped teachers, written by exportOnnx and run by
 * onnxruntime-node, give tfjs's outputs within 1e-4 on real images (MNIST's and CIFAR-10's test
 * sets, notebook 03's people). Seeded models get random batch-norm statistics first, so the
 * BatchNormalization nodes do more than divide by one; the shipped teachers have trained ones.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../lib/backend.ts";
import { IMAGENET_NORMALIZATION, loadCifar10 } from "../lib/data/cifar10.ts";
import { type Dataset, normalized, select, subset, toTensors } from "../lib/data/dataset.ts";
import { projectMirror } from "../lib/data/download.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import { loadPeople } from "../lib/data/people.ts";
import { accuracyOf, classesOf } from "../lib/distill/evaluate.ts";
import { predictOutputs } from "../lib/distill/outputs.ts";
import { loadTeacher, TEACHER_NAMES, TEACHERS } from "../lib/teachers/mod.ts";
import {
  BatchNorm,
  cifarDeepNN,
  cifarLightNN,
  kerasCnnTeacher,
  mlpStudent,
  mnistStudent,
  mnistTeacher,
  tabularStudent,
  tabularTeacher,
} from "../lib/models/mod.ts";
import { compareWithOnnx } from "../lib/ship/onnx/compare.ts";
import { exportOnnx } from "../lib/ship/onnx/export.ts";
import { openOnnx } from "../lib/ship/onnx/runtime.ts";

await ensureBackend();
const BATCH = 64;
const mnist = select(await loadMnist("test"), Array.from({ length: BATCH }, (_, i) => i));
const cifarRaw = subset(
  await loadCifar10("test", { mirror: projectMirror(), normalization: null }),
  BATCH,
  2,
);
const cifar = normalized(cifarRaw, IMAGENET_NORMALIZATION);
const people = (await loadPeople()).test;

/** Seeded, non-trivial moving statistics and affine parameters for every BatchNorm layer. */
function randomiseBatchNorm(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers.filter((l) => l instanceof BatchNorm)) {
    const c = layer.weights[0].shape as number[];
    const draw = (lo: number, hi: number) => tf.randomUniform(c, lo, hi, "float32", seed++);
    const values = [draw(0.5, 1.5), draw(-0.5, 0.5), draw(-0.5, 0.5), draw(0.5, 2)];
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Exports `model`, runs it in ONNX Runtime on `data` and checks every output against tfjs. */
async function checkAgreement(model: tf.LayersModel, data: Dataset): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kd-onnx-" });
  try {
    const file = await exportOnnx(model, join(dir, `${model.name}.onnx`));
    const session = await openOnnx(file.path);
    const tfjs = predictOutputs(model, data, ["logits"]).logits!;
    const r = await compareWithOnnx(tfjs, session, data);
    assert.equal(r.sameClass, data.size, `${model.name}: classes that differ`);
    assert.ok(r.maxAbsDiff < 1e-4, `${model.name}: logits differ by ${r.maxAbsDiff}`);
    assert.equal(r.onnxAccuracy, accuracyOf(classesOf(tfjs), data.y));
    // The other outputs (hidden features, feature maps) come back in tfjs's layout too.
    const x = tf.tidy(() => toTensors(data).x.dataSync() as Float32Array);
    const expected = tf.tidy(() => {
      const y = model.predict(toTensors(data).x);
      return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
    });
    assert.deepEqual(session.outputNames, model.outputNames);
    for (const [i, name] of session.outputNames.entries()) {
      const got = await session.run(x, data.size, name);
      assert.equal(got.length, expected[i].length, name);
      const diff = got.reduce((m, v, j) => Math.max(m, Math.abs(v - expected[i][j])), 0);
      assert.ok(diff < 1e-4, `${model.name}, output ${name}: differs by ${diff}`);
    }
    await session.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LESSON_MODELS: [string, () => tf.LayersModel, Dataset][] = [
  ["01 teacher", () => mnistTeacher({ seed: 0 }), mnist],
  ["01 student", () => mnistStudent({ seed: 1 }), mnist],
  ["02 teacher (CIFAR-10)", () => mnistTeacher({ inputShape: [32, 32, 3], seed: 0 }), cifar],
  ["02 student (CIFAR-10)", () => mnistStudent({ inputShape: [32, 32, 3], seed: 1 }), cifar],
  ["03 teacher", () => tabularTeacher({ seed: 0 }), people],
  ["03 student", () => tabularStudent({ seed: 1 }), people],
  ["04 DeepNN", () => cifarDeepNN({ seed: 42 }), cifar],
  ["04 LightNN", () => cifarLightNN({ seed: 42 }), cifar],
  ["05 CNN teacher", () => kerasCnnTeacher({ seed: 0 }), mnist],
  ["05 MLP student", () => mlpStudent({ seed: 1 }), mnist],
];

for (const [label, build, data] of LESSON_MODELS) {
  Deno.test(`notebook ${label}: ONNX Runtime gives tfjs's outputs within 1e-4`, async () => {
    const model = build();
    randomiseBatchNorm(model, 7);
    const before = tf.memory().numTensors;
    await checkAgreement(model, data);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    model.dispose();
  });
}

for (const name of TEACHER_NAMES) {
  Deno.test(`shipped teacher ${name}: ONNX Runtime gives tfjs's outputs within 1e-4`, async () => {
    const { model } = await loadTeacher(name);
    await checkAgreement(model, normalized(cifarRaw, TEACHERS[name].recipe.normalization));
    model.dispose();
  });
}
