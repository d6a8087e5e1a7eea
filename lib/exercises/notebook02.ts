/** Notebook 02's exercises: lesson A's models adapted to CIFAR-10, and a short training run. */
import * as tf from "@tensorflow/tfjs";
import { type Dataset, subset } from "../data/dataset.ts";
import { evaluateAccuracy } from "../distill/evaluate.ts";
import { defaultOptimizer, fit } from "../distill/fit.ts";
import { countTrainableParams } from "../models/blocks.ts";
import { mnistStudent, mnistTeacher } from "../models/mnist_cnn.ts";
// copyModel reads the learner's model back, custom layers included.
import "../models/custom_layers.ts";
import type { CifarModels } from "./ids.ts";
import { checkFailed, checkPassed, type CheckResult } from "./result.ts";
import { count, describeKind, isLayersModel, ordinal, pct } from "./util.ts";

const CIFAR_INPUT = [null, 32, 32, 3];
const CIFAR_OUTPUT = [null, 10];

type Role = "teacher" | "student";

/** Shapes of the trainable weights of the library's reference models, built once. */
let referenceShapes: Record<Role, number[][]> | undefined;

function references(): Record<Role, number[][]> {
  if (!referenceShapes) {
    const shapesOf = (m: tf.LayersModel) => {
      const shapes = m.trainableWeights.map((w) => w.shape as number[]);
      m.dispose();
      return shapes;
    };
    referenceShapes = {
      teacher: shapesOf(mnistTeacher({ inputShape: [32, 32, 3] })),
      student: shapesOf(mnistStudent({ inputShape: [32, 32, 3] })),
    };
  }
  return referenceShapes;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly (number | null)[], b: readonly (number | null)[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const showShape = (s: readonly (number | null)[]) => `[${s.map((d) => d ?? "null").join(",")}]`;

/** How the flattened feature count depends on the image size, per model. */
const FLATTEN: Record<Role, string> = {
  teacher: "7·7·32 = 1,568 on 28×28 images, 8·8·32 = 2,048 on 32×32",
  student: "14·14·16 = 3,136 on 28×28 images, 16·16·16 = 4,096 on 32×32",
};

/** "its 1st convolution has 16·5·5·1 = 400 weights; …" for the first two differing weights. */
function weightDifferences(role: Role, got: number[][], want: number[][]): string[] {
  const out: string[] = [];
  let convs = 0;
  let denses = 0;
  for (let i = 0; i < Math.max(got.length, want.length) && out.length < 2; i++) {
    const g = got[i];
    const w = want[i];
    if (!g || !w || g.length !== w.length) {
      // From here on the layers do not line up: describing single weights would mislead.
      out.push(
        `from its ${ordinal(i + 1)} weight tensor on, its layers differ from lesson A's ` +
          `(${got.length} weight tensors; the reference has ${want.length})`,
      );
      break;
    }
    if (w.length === 4) convs++;
    if (w.length === 2) denses++;
    if (sameShape(g, w)) continue;
    if (w.length === 4) {
      const [kh, kw, cin, cout] = g;
      const [rh, rw, rcin, rcout] = w;
      const why = cin !== rcin
        ? ` — a ${rcin}-channel input needs ${rcin} input channels here`
        : "";
      out.push(
        `its ${ordinal(convs)} convolution has ${cout}·${kh}·${kw}·${cin} = ${count(size(g))} ` +
          `weights; the reference has ${rcout}·${rh}·${rw}·${rcin} = ${count(size(w))}${why}`,
      );
    } else if (w.length === 2) {
      const why = g[0] !== w[0] && denses === 1
        ? ` — it reads the flattened feature map, which grows with the image (${FLATTEN[role]})`
        : "";
      out.push(
        `its ${ordinal(denses)} dense layer maps ${count(g[0])} → ${count(g[1])}; the reference ` +
          `maps ${count(w[0])} → ${count(w[1])}${why}`,
      );
    } else {
      out.push(`its ${ordinal(i + 1)} weight tensor is [${g}] where the reference has [${w}]`);
    }
  }
  return out;
}

/** What is wrong with one of the two models, or undefined when it matches the reference. */
function modelProblem(
  role: Role,
  model: unknown,
  factory: string,
): { message: string; hint: string } | undefined {
  if (!isLayersModel(model)) {
    return {
      message: `the ${role} is ${describeKind(model)}, not a tf.LayersModel`,
      hint: `build it with ${factory}({ inputShape: [32, 32, 3] }).`,
    };
  }
  const ref = references();
  const want = ref[role];
  const wantCount = want.reduce((s, w) => s + size(w), 0);
  const gotShapes = model.trainableWeights.map((w) => w.shape as number[]);
  const gotCount = countTrainableParams(model);
  const diffs = weightDifferences(role, gotShapes, want);
  const countLine = `It has ${count(gotCount)} trainable parameters, the reference ` +
    `${factory}({ inputShape: [32, 32, 3] }) has ${count(wantCount)} (off by ${
      gotCount > wantCount ? "+" : "−"
    }${count(Math.abs(gotCount - wantCount))})`;
  const details = diffs.length ? `${countLine}: ${diffs.join("; ")}.` : `${countLine}.`;
  const input = model.inputs[0]?.shape ?? [];
  if (!sameShape(input, CIFAR_INPUT)) {
    const channels = input[input.length - 1];
    return {
      message: `the ${role} takes ${showShape(input)} inputs; CIFAR-10 images are ` +
        `${showShape(CIFAR_INPUT)} (32×32 pixels, 3 colour channels)`,
      hint: `pass inputShape: [32, 32, 3] to ${factory}` +
        `${channels === 1 ? " (the 1 channel is MNIST's grey)" : ""}. ${details}`,
    };
  }
  const output = model.outputs[0].shape;
  if (!sameShape(output, CIFAR_OUTPUT)) {
    return {
      message: `the ${role}'s output is ${showShape(output)}; CIFAR-10 has 10 classes, so ` +
        `${showShape(CIFAR_OUTPUT)}`,
      hint: `keep classes: 10 (the default). ${details}`,
    };
  }
  if (gotCount !== wantCount || diffs.length) {
    const other: Role = role === "teacher" ? "student" : "teacher";
    const swapped = gotCount === ref[other].reduce((s, w) => s + size(w), 0);
    return {
      message: `the ${role} has ${count(gotCount)} trainable parameters; expected ${
        count(wantCount)
      }`,
      hint: swapped
        ? `that is the ${other}'s count: did you swap the teacher and the student?`
        : `${details} Keep lesson A's architecture and change only the input shape.`,
    };
  }
  return undefined;
}

/**
 * Checks lesson A's teacher and student rebuilt for CIFAR-10: input
 * `[null, 32, 32, 3]`, output `[null, 10]`, and trainable parameters weight by
 * weight against `mnistTeacher({ inputShape: [32, 32, 3] })` and
 * `mnistStudent({ inputShape: [32, 32, 3] })`.
 */
export function checkCifarModels(models: CifarModels): CheckResult {
  const id = "02-cifar-models";
  if (typeof models !== "object" || models === null) {
    return checkFailed(
      id,
      `the answer is ${describeKind(models)}`,
      "pass an object { teacher, student } holding the two models.",
    );
  }
  for (
    const [role, factory] of [["teacher", "mnistTeacher"], ["student", "mnistStudent"]] as const
  ) {
    const p = modelProblem(role, models[role], factory);
    if (p) return checkFailed(id, p.message, p.hint);
  }
  return checkPassed(
    id,
    `both take [null,32,32,3] and output [null,10]; teacher ${
      count(countTrainableParams(models.teacher))
    } and student ${count(countTrainableParams(models.student))} trainable parameters, as the ` +
      "reference",
  );
}

// ---------------------------------------------------------------------------------------------
// 02-cifar-training

/** The stated budget of `checkCifarTraining`. */
export interface CifarTrainingBudget {
  /** Training images (a seeded subset of `train`); default 2,000. */
  trainSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Test images evaluated (a seeded subset of `test`); default 1,000. */
  testSize: number;
  /** Accuracy to reach, a fraction; chance is 0.10. */
  threshold: number;
  seed: number;
}

/**
 * 2,000 images × 3 epochs, Adam 0.001, batch 50, then 1,000 test images must
 * reach 30 % (chance: 10 %). Measured on the mirror copy of CIFAR-10 (wasm
 * backend, 2 cores): lesson A's student 37–42 % in ~15 s, its teacher 37–41 %
 * in ~40 s.
 */
export const CIFAR_TRAINING_BUDGET: Readonly<CifarTrainingBudget> = {
  trainSize: 2_000,
  epochs: 3,
  batchSize: 50,
  learningRate: 0.001,
  testSize: 1_000,
  threshold: 0.3,
  seed: 0,
};

function checkCifarDataset(ds: unknown, what: string, needed: number): asserts ds is Dataset {
  const d = ds as Dataset | undefined;
  if (!d || typeof d !== "object" || !(d.x instanceof Uint8Array || d.x instanceof Float32Array)) {
    throw new TypeError(
      `checkCifarTraining: data.${what} must be a Dataset (loadCifar10("${what}")), got ${
        describeKind(ds)
      }`,
    );
  }
  if (d.shape.join() !== "32,32,3") {
    throw new RangeError(
      `checkCifarTraining: data.${what} holds [${d.shape}] examples; it needs CIFAR-10's [32,32,3]`,
    );
  }
  if (d.size < needed) {
    throw new RangeError(
      `checkCifarTraining: data.${what} has ${d.size} examples; the check uses ${needed} ` +
        `(pass a bigger set or a smaller budget)`,
    );
  }
}

/** A copy with the same architecture and weights, so the learner's model is not trained. */
async function copyModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

/**
 * Trains a COPY of `model` for a small stated budget (default
 * `CIFAR_TRAINING_BUDGET`: 2,000 images, 3 epochs) on a seeded subset of
 * `data.train`, then checks its accuracy on a seeded subset of `data.test`
 * against the threshold. The learner's model itself is left untouched.
 */
export async function checkCifarTraining(
  model: tf.LayersModel,
  data: { train: Dataset; test: Dataset },
  budget: Partial<CifarTrainingBudget> = {},
): Promise<CheckResult> {
  const b = { ...CIFAR_TRAINING_BUDGET, ...budget };
  for (const key of ["trainSize", "epochs", "batchSize", "testSize"] as const) {
    if (!Number.isInteger(b[key]) || b[key] < 1) {
      throw new RangeError(`checkCifarTraining: ${key} must be a positive integer, got ${b[key]}`);
    }
  }
  if (!(b.threshold > 0 && b.threshold < 1) || !(b.learningRate > 0)) {
    throw new RangeError(
      `checkCifarTraining: threshold must be in (0, 1) and learningRate > 0, got ${b.threshold} ` +
        `and ${b.learningRate}`,
    );
  }
  if (typeof data !== "object" || data === null) {
    throw new TypeError("checkCifarTraining: pass the data as { train, test }");
  }
  checkCifarDataset(data.train, "train", b.trainSize);
  checkCifarDataset(data.test, "test", b.testSize);
  const id = "02-cifar-training";
  if (!isLayersModel(model)) {
    return checkFailed(
      id,
      `the answer is ${describeKind(model)}, not a tf.LayersModel`,
      "pass the CIFAR-10 student, e.g. mnistStudent({ inputShape: [32, 32, 3] }).",
    );
  }
  const input = model.inputs[0].shape;
  const output = model.outputs[0].shape;
  if (!sameShape(input, CIFAR_INPUT) || !sameShape(output, CIFAR_OUTPUT)) {
    return checkFailed(
      id,
      `the model maps ${showShape(input)} to ${showShape(output)}; CIFAR-10 needs ` +
        `${showShape(CIFAR_INPUT)} → ${showShape(CIFAR_OUTPUT)}`,
      "build it with inputShape: [32, 32, 3] and 10 classes (see the exercise above).",
    );
  }
  const train = subset(data.train, b.trainSize, b.seed + 1);
  const test = subset(data.test, b.testSize, b.seed + 2);
  const budgetText = `${b.epochs} epoch${b.epochs > 1 ? "s" : ""} on ${count(train.size)} ` +
    `images (Adam ${b.learningRate}, batch ${b.batchSize})`;
  let copy: tf.LayersModel | undefined;
  const optimizer = defaultOptimizer(b.learningRate);
  let accuracy: number;
  const start = performance.now();
  try {
    copy = await copyModel(model);
    await fit({
      student: copy,
      train,
      epochs: b.epochs,
      batchSize: b.batchSize,
      seed: b.seed,
      optimizer,
    });
    accuracy = evaluateAccuracy(copy, test);
  } catch (e) {
    return checkFailed(
      id,
      `training a copy of the model failed: ${e instanceof Error ? e.message : String(e)}`,
      "the model must output raw logits for 10 classes as its first output (no softmax).",
    );
  } finally {
    copy?.dispose();
    optimizer.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  const result = `after ${budgetText}: ${pct(accuracy)} on ${count(test.size)} test images ` +
    `(needs ≥ ${pct(b.threshold)}; chance is 10 %; ${seconds.toFixed(0)} s)`;
  if (accuracy >= b.threshold) return checkPassed(id, result);
  const last = model.layers[model.layers.length - 1] as tf.layers.Layer & {
    activation?: { getClassName(): string };
  };
  const softmax = last.activation?.getClassName?.().toLowerCase() === "softmax";
  return checkFailed(
    id,
    result,
    softmax
      ? "the last layer applies a softmax: the training loss expects raw logits, so remove it."
      : accuracy < 0.15
      ? "it stays near chance, so it is not learning: check that the first output is the 10 " +
        "logits and that the inputs are the [32, 32, 3] CIFAR-10 images."
      : "lesson A's student reaches 37–42 % under this budget: compare your architecture with " +
        "mnistStudent({ inputShape: [32, 32, 3] }).",
  );
}
