/**
 * The exercise checks: each passes its solution, fails typical wrong answers
 * and its notebook skeleton with the intended hint, throws when misused, and
 * leaves no tensors behind.
 */
import assert from "node:assert/strict";
import { printedLines } from "./fixtures/printed.ts";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBackend } from "../lib/backend.ts";
import { createDataset, type Dataset } from "../lib/data/dataset.ts";
import { loadCifar10 } from "../lib/data/cifar10.ts";
import { projectMirror } from "../lib/data/download.ts";
import { crossEntropy, meanSquaredError, softTargets } from "../lib/distill/losses.ts";
import { mnistStudent, mnistTeacher } from "../lib/models/mnist_cnn.ts";
import { cifarLightNN } from "../lib/models/cifar_cnn.ts";
import { createRng } from "../lib/random.ts";
import {
  answer,
  checkAgreement,
  checkBestSweepCell,
  checkCifarModels,
  checkCifarTraining,
  checkCosineLoss,
  checkEnsembleTarget,
  checkFeaturePooling,
  checkMixedLoss,
  checkReloadedModel,
  type CheckResult,
  checkSoftTargets,
  checkTemperatureQuiz,
  type ExerciseId,
  showResult,
  type SweepCell,
} from "../lib/exercises/mod.ts";
import { EXERCISE_IDS, EXERCISES } from "../lib/exercises/exercises.ts";
import { skeletonAnswer, skeletonExpression } from "../lib/exercises/skeleton.ts";
import { resultBundle, resultText } from "../lib/exercises/result.ts";
import { solution, SOLUTIONS } from "../lib/exercises/solutions.ts";
import { usingSolutions } from "../lib/exercises/solutions_switch.ts";

await ensureBackend();

/** Runs a check and asserts it left `tf.memory().numTensors` as it was. */
async function graded(check: () => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  const before = tf.memory().numTensors;
  const result = await check();
  assert.equal(tf.memory().numTensors, before, `the check leaked tensors: ${resultText(result)}`);
  return result;
}

async function passes(check: () => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  const r = await graded(check);
  assert.equal(r.passed, true, resultText(r));
  assert.equal(r.hint, undefined);
  return r;
}

async function fails(
  check: () => CheckResult | Promise<CheckResult>,
  hint: RegExp,
  message?: RegExp,
): Promise<CheckResult> {
  const r = await graded(check);
  assert.equal(r.passed, false, `expected a fail: ${resultText(r)}`);
  assert.match(r.hint ?? "", hint, resultText(r));
  if (message) assert.match(r.message, message, resultText(r));
  return r;
}

const naiveSoftmax = (logits: number[][], t: number) =>
  logits.map((row) => {
    const e = row.map((z) => Math.exp(z / t));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });

// ---------------------------------------------------------------------------------------------
// 01

Deno.test("checkSoftTargets: solution passes; skeleton and typical mistakes get their hints", async () => {
  const r = await passes(() => checkSoftTargets(solution("01-soft-targets")));
  assert.match(r.message, /T = 1, 1.5, 4, 10, 0.5/);
  await fails(
    async () => checkSoftTargets(await skeletonAnswer("01-soft-targets")),
    /logits unchanged/,
  );
  // No temperature: fails at the first T ≠ 1 and says which row and T.
  await fails(
    () => checkSoftTargets((logits) => naiveSoftmax(logits, 1)),
    /distribution at T = 1: divide the logits by T = 1.5/,
    /at T = 1.5, row 0: expected \[.*\], got \[/,
  );
  await fails(
    () => checkSoftTargets((logits, t) => naiveSoftmax(logits, 1 / t)),
    /instead of multiplying/,
  );
  await fails(() => checkSoftTargets(naiveSoftmax), /overflows to Infinity/, /large logits/);
  await fails(
    () => checkSoftTargets((logits, t) => logits.map((row) => row.map((z) => Math.exp(z / t)))),
    /did not divide by the row's sum/,
  );
  await fails(
    () =>
      checkSoftTargets(() => {
        throw new Error("boom");
      }),
    /same shape/,
    /threw Error: boom/,
  );
  await fails(
    () => checkSoftTargets((logits) => tf.tensor2d(logits) as unknown as number[][]),
    /softmax/,
    /tf\.Tensor of shape \[5,10\]; return plain number\[\]\[\]/,
  );
  await fails(() => checkSoftTargets((logits) => logits.slice(1)), /same shape/, /4 rows for 5/);
  await fails(
    () => checkSoftTargets((logits) => logits.map((row) => row.map(() => NaN))),
    /NaN or Infinity/,
  );
  await fails(() => checkSoftTargets(42 as unknown as () => number[][]), /pass a function/);
  assert.throws(
    () => checkSoftTargets(naiveSoftmax, { tolerance: 0 }),
    /tolerance must be a positive/,
  );
  assert.throws(() => checkSoftTargets(naiveSoftmax, { seed: 0.5 }), /seed must be an integer/);
});

Deno.test("checkTemperatureQuiz: flatter passes; other choices point at the chart", async () => {
  await passes(() => checkTemperatureQuiz("flatter"));
  await passes(() => checkTemperatureQuiz(" Flatter " as "flatter"));
  await fails(
    async () => checkTemperatureQuiz(await skeletonAnswer("01-temperature-quiz")),
    /replace undefined/,
  );
  await fails(() => checkTemperatureQuiz("sharper"), /chart.*tallest bar grow or shrink/);
  await fails(
    () => checkTemperatureQuiz("unchanged", { chart: "the chart in section 3" }),
    /Look at the chart in section 3 and compare the bars/,
    /ranking of the classes stays the same/,
  );
  await fails(() => checkTemperatureQuiz("warmer" as "flatter"), /"flatter", "sharper"/);
  assert.throws(() => checkTemperatureQuiz("flatter", { chart: " " }), /options.chart must name/);
});

Deno.test("checkMixedLoss: solution passes; skeleton and typical mistakes get their hints", async () => {
  await passes(() => checkMixedLoss(solution("01-mixed-loss")));
  // A number is as good as a scalar tensor.
  await passes(() =>
    checkMixedLoss((s, t, y, a, temp) => solution("01-mixed-loss")(s, t, y, a, temp) as number)
  );
  await fails(
    async () => checkMixedLoss(await skeletonAnswer("01-mixed-loss")),
    /placeholder/,
    /got 0/,
  );
  const mse = meanSquaredError;
  await fails(
    () =>
      checkMixedLoss((s, t, y, a, temp) =>
        tf.add(tf.mul(1 - a, crossEntropy(s, y)), tf.mul(a, mse(s, softTargets(t, temp))))
      ),
    /weights are swapped/,
  );
  await fails(
    () =>
      checkMixedLoss((s, t, y, a) =>
        tf.add(tf.mul(a, crossEntropy(s, y)), tf.mul(1 - a, mse(s, tf.softmax(t))))
      ),
    /lack the temperature/,
  );
  await fails(
    () =>
      checkMixedLoss((s, t, y, a, temp) =>
        tf.add(
          tf.mul(a, crossEntropy(s, y)),
          tf.mul(1 - a, mse(softTargets(s, temp), softTargets(t, temp))),
        )
      ),
    /RAW logits/,
  );
  await fails(() => checkMixedLoss((s, _t, y) => crossEntropy(s, y)), /cross-entropy alone/);
  await fails(
    () => checkMixedLoss((s, t) => tf.mean(tf.squaredDifference(s, t), 1)),
    /one number/,
    /tensor of shape \[8\]; a loss is one number/,
  );
  await fails(() => checkMixedLoss(() => NaN), /NaN/, /loss is NaN/);
  assert.throws(() => checkMixedLoss(solution("01-mixed-loss"), { tolerance: -1 }), /tolerance/);
});

// ---------------------------------------------------------------------------------------------
// 02

Deno.test("checkCifarModels: CIFAR-shaped reference models pass; MNIST ones say what is off", async () => {
  const right = solution("02-cifar-models");
  const r = await passes(() => checkCifarModels(right));
  assert.match(r.message, /\[null,32,32,3\]/);
  const skeleton = await skeletonAnswer("02-cifar-models");
  await fails(
    () => checkCifarModels(skeleton),
    /inputShape: \[32, 32, 3\].*481,214.*1st convolution has 16·5·5·1 = 400 weights; the reference has 16·5·5·3 = 1,200 — a 3-channel input needs 3 input channels/,
    /teacher takes \[null,28,28,1\] inputs/,
  );
  const grey = { teacher: mnistTeacher({ inputShape: [32, 32, 1] }), student: right.student };
  await fails(() => checkCifarModels(grey), /MNIST's grey.*off by −800/, /\[null,32,32,1\]/);
  const swapped = { teacher: right.student, student: right.teacher };
  await fails(() => checkCifarModels(swapped), /swap the teacher and the student/);
  const hundred = {
    teacher: right.teacher,
    student: mnistStudent({ inputShape: [32, 32, 3], classes: 100 }),
  };
  await fails(() => checkCifarModels(hundred), /classes: 10/, /student's output is \[null,100\]/);
  const light = cifarLightNN();
  await fails(
    () => checkCifarModels({ teacher: right.teacher, student: light }),
    /Keep notebook 01's architecture/,
    /student has 267,738 trainable parameters; expected 41,450/,
  );
  await fails(
    () =>
      checkCifarModels(
        { teacher: right.teacher } as unknown as {
          teacher: tf.LayersModel;
          student: tf.LayersModel;
        },
      ),
    /mnistStudent\(\{ inputShape: \[32, 32, 3\] \}\)/,
    /student is undefined/,
  );
  for (
    const m of [
      right.teacher,
      right.student,
      skeleton.teacher,
      skeleton.student,
      grey.teacher,
      hundred.student,
    ]
  ) {
    m.dispose();
  }
});

/**
 * A CIFAR-shaped set: a bright 8×8 patch on noise, placed by the class (learnable in a few
 * steps), or noise alone with random labels (not learnable).
 */
function syntheticCifar(size: number, seed: number, learnable: boolean): Dataset {
  const rng = createRng(seed);
  const per = 32 * 32 * 3;
  const x = new Uint8Array(size * per);
  const y = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    y[i] = rng.int(10);
    const [top, left] = [8 * Math.floor(y[i] / 4), 8 * (y[i] % 4)];
    for (let j = 0; j < per; j++) {
      const [h, w] = [Math.floor(j / 96), Math.floor(j / 3) % 32];
      const on = learnable && h >= top && h < top + 8 && w >= left && w < left + 8;
      x[i * per + j] = Math.max(0, Math.min(255, (on ? 200 : 60) + Math.round(40 * rng.normal())));
    }
  }
  return createDataset({
    name: "synthetic-cifar",
    x,
    y,
    shape: [32, 32, 3],
    classNames: Array.from({ length: 10 }, (_, c) => `c${c}`),
    source: "test",
    normalization: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
  });
}

Deno.test("checkCifarTraining: trains a copy within a small budget; misuse throws", async () => {
  const tiny = { trainSize: 300, epochs: 2, batchSize: 50, testSize: 200, threshold: 0.3 };
  const easy = { train: syntheticCifar(300, 1, true), test: syntheticCifar(200, 2, true) };
  const model = solution("02-cifar-training");
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const r = await passes(() => checkCifarTraining(model, easy, tiny));
  assert.match(r.message, /after 2 epochs on 300 images.*needs ≥ 30.00 %/);
  // The learner's model itself is not trained.
  model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i]));

  const skeleton = await skeletonAnswer("02-cifar-training");
  await fails(
    () => checkCifarTraining(skeleton, easy, tiny),
    /inputShape: \[32, 32, 3\]/,
    /\[null,28,28,1\]/,
  );
  const noise = { train: syntheticCifar(300, 3, false), test: syntheticCifar(200, 4, false) };
  await fails(() => checkCifarTraining(model, noise, tiny), /near chance/);
  const input = tf.input({ shape: [32, 32, 3] });
  const probs = tf.layers.dense({ units: 10, activation: "softmax" }).apply(
    tf.layers.flatten().apply(input),
  ) as tf.SymbolicTensor;
  const softmaxModel = tf.model({ inputs: input, outputs: probs });
  await fails(() => checkCifarTraining(softmaxModel, noise, tiny), /applies a softmax/);

  await assert.rejects(
    () => checkCifarTraining(model, undefined as unknown as { train: Dataset; test: Dataset }),
    /pass the data as \{ train, test \}/,
  );
  await assert.rejects(
    () =>
      checkCifarTraining(model, { train: easy.train } as { train: Dataset; test: Dataset }, tiny),
    /data.test must be a Dataset/,
  );
  await assert.rejects(
    () => checkCifarTraining(model, easy),
    /data.train has 300 examples; the check uses 2000/,
  );
  await assert.rejects(
    () => checkCifarTraining(model, easy, { ...tiny, epochs: 0 }),
    /epochs must be a positive/,
  );
  for (const m of [model, skeleton, softmaxModel]) m.dispose();
});

// The real-data test runs where the project's mirror copy of CIFAR-10 is.
const mirrorDir = projectMirror();
const haveCifar = (() => {
  try {
    return Deno.statSync(join(mirrorDir, "cifar-10-binary.tar.gz")).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "checkCifarTraining on real CIFAR-10: notebook 01's student passes the default budget",
  ignore: !haveCifar,
  async fn() {
    const options = { mirror: mirrorDir };
    const data = {
      train: await loadCifar10("train", options),
      test: await loadCifar10("test", options),
    };
    const model = solution("02-cifar-training");
    const start = performance.now();
    const r = await passes(() => checkCifarTraining(model, data));
    console.log(`${resultText(r)} [${((performance.now() - start) / 1000).toFixed(1)} s]`);
    model.dispose();
  },
});

// ---------------------------------------------------------------------------------------------
// 03

Deno.test("checkAgreement: solution passes; counts, disagreement and percentages get hints", async () => {
  await passes(() => checkAgreement(solution("03-agreement")));
  const agreeing = (t: ArrayLike<number>, s: ArrayLike<number>) =>
    Array.from(t).filter((c, i) => c === s[i]).length;
  await fails(
    async () => checkAgreement(await skeletonAnswer("03-agreement")),
    /position by position/,
    /got 0/,
  );
  await fails(() => checkAgreement(agreeing), /count of agreeing examples: divide it by .*50/);
  await fails(() => checkAgreement((t, s) => 1 - agreeing(t, s) / t.length), /DISagree/);
  await fails(() => checkAgreement((t, s) => (100 * agreeing(t, s)) / t.length), /percentage/);
  await fails(() => checkAgreement((t, s) => agreeing(t, s) / 0), /position by position|NaN/);
  await fails(
    () => checkAgreement((t) => (t as number[]).filter((c) => c > 0).length),
    /.+/,
    /threw TypeError|got/,
  );
  assert.throws(() => checkAgreement(agreeing, { seed: Number.NaN }), /seed must be an integer/);
});

function smallImages(size: number): Dataset {
  const rng = createRng(9);
  return createDataset({
    name: "images",
    x: Uint8Array.from({ length: size * 28 * 28 }, () => rng.int(256)),
    y: Uint8Array.from({ length: size }, () => rng.int(10)),
    shape: [28, 28, 1],
    classNames: Array.from({ length: 10 }, (_, c) => `${c}`),
    source: "test",
    normalization: { scale: 1 / 255, mean: [0], std: [1] },
  });
}

Deno.test("checkReloadedModel: a real round trip passes; the same object or other weights fail", async () => {
  const data = smallImages(40);
  const original = mnistStudent({ seed: 3 });
  const dir = await Deno.makeTempDir();
  try {
    const reloaded = await solution("03-save-reload")(original, join(dir, "student"));
    const r = await passes(() => checkReloadedModel(original, reloaded, data));
    assert.match(r.message, /identical predictions on 40 examples/);
    const same = await (await skeletonAnswer("03-save-reload"))(original, dir);
    await fails(
      () => checkReloadedModel(original, same, data),
      /saveModel/,
      /original object itself/,
    );
    const fresh = mnistStudent({ seed: 4 });
    await fails(
      () => checkReloadedModel(original, fresh, data),
      /weights are not the original's/,
      /^example 0 differs: the original predicts class \d, the reloaded one|^example 0 differs/,
    );
    const other = mnistTeacher();
    await fails(() => checkReloadedModel(original, other, data), /different architecture/);
    const pending = Promise.resolve(reloaded) as unknown as tf.LayersModel;
    await fails(() => checkReloadedModel(original, pending, data), /await it/);
    await fails(
      () => checkReloadedModel(original, undefined as unknown as tf.LayersModel, data),
      /loadModel/,
    );
    assert.throws(
      () => checkReloadedModel(undefined as unknown as tf.LayersModel, reloaded, data),
      /first argument must be the original tf.LayersModel/,
    );
    assert.throws(
      () => checkReloadedModel(original, reloaded, [1, 2] as unknown as Dataset),
      /third argument must be a Dataset/,
    );
    for (const m of [reloaded, fresh, other]) m.dispose();
  } finally {
    original.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// 04

Deno.test("checkCosineLoss: solution passes; similarity, sums and missing norms get hints", async () => {
  await passes(() => checkCosineLoss(solution("04-cosine-loss")));
  const cos = (a: tf.Tensor2D, b: tf.Tensor2D) =>
    tf.div(tf.sum(tf.mul(a, b), 1), tf.mul(tf.norm(a, 2, 1), tf.norm(b, 2, 1)));
  await fails(
    async () => checkCosineLoss(await skeletonAnswer("04-cosine-loss")),
    /for each row compute cos/,
    /got 0/,
  );
  await fails(() => checkCosineLoss((a, b) => tf.mean(cos(a, b))), /complement, 1 − cos/);
  await fails(() => checkCosineLoss((a, b) => tf.sum(tf.sub(1, cos(a, b)))), /take the mean/);
  await fails(
    () => checkCosineLoss((a, b) => tf.mean(tf.sub(1, tf.sum(tf.mul(a, b), 1)))),
    /without dividing by the norms/,
  );
  await fails(
    () =>
      checkCosineLoss((a, b) =>
        tf.sub(1, tf.div(tf.sum(tf.mul(a, b)), tf.mul(tf.norm(a), tf.norm(b))))
      ),
    /one cosine over the whole batch/,
  );
  await fails(() => checkCosineLoss((a, b) => tf.sub(1, cos(a, b))), /1 − cos/, /shape \[6\]/);
  assert.throws(() => checkCosineLoss(solution("04-cosine-loss"), { tolerance: NaN }), /tolerance/);
});

Deno.test("checkFeaturePooling: averaging pairs passes; max, strides and halves get hints", async () => {
  await passes(() => checkFeaturePooling(solution("04-feature-pooling")));
  const pairs = (x: tf.Tensor2D) => tf.reshape(x, [x.shape[0], 1024, 2]);
  await fails(
    async () => checkFeaturePooling(await skeletonAnswer("04-feature-pooling")),
    /not pooled yet/,
    /shape \[3, 2048\]; the student's feature is \[3, 1024\]/,
  );
  await fails(() => checkFeaturePooling((x) => tf.max(pairs(x), 2) as tf.Tensor2D), /max pooling/);
  await fails(
    () =>
      checkFeaturePooling((x) =>
        tf.squeeze(tf.slice(pairs(x), [0, 0, 0], [-1, -1, 1]), [2]) as tf.Tensor2D
      ),
    /every other feature/,
  );
  await fails(
    () =>
      checkFeaturePooling((x) =>
        tf.div(tf.add(tf.slice(x, [0, 0], [-1, 1024]), tf.slice(x, [0, 1024], [-1, 1024])), 2)
      ),
    /NEIGHBOURS/,
  );
  await fails(
    () => checkFeaturePooling((x) => tf.slice(x, [0, 0], [-1, 512])),
    /pool size must be 2/,
  );
  await fails(
    () => checkFeaturePooling(() => [[1]] as unknown as tf.Tensor2D),
    /\[n, 1024\]/,
    /array/,
  );
  assert.throws(() => checkFeaturePooling(solution("04-feature-pooling"), { seed: 1.5 }), /seed/);
});

// ---------------------------------------------------------------------------------------------
// 05

const sweep: SweepCell[] = [1, 2, 5, 10].flatMap((temperature, i) =>
  [0.25, 0.5, 0.75].map((lambda, j) => ({
    temperature,
    lambda,
    accuracy: temperature === 10 && lambda === 0.5 ? 0.922 : 0.9 + 0.003 * i + 0.001 * j,
  }))
);

Deno.test("checkBestSweepCell: the best cell passes; others show their accuracy vs the best", async () => {
  await passes(() => checkBestSweepCell(solution("05-best-sweep-cell"), sweep));
  const r = await passes(() => checkBestSweepCell({ temperature: 10, lambda: 0.5 }, sweep));
  assert.match(r.message, /92.20 %, the best of the 12 cells/);
  await fails(
    async () => checkBestSweepCell(await skeletonAnswer("05-best-sweep-cell"), sweep),
    /T ∈ \{1, 2, 5, 10\} and λ ∈ \{0.25, 0.5, 0.75\}/,
    /T = NaN, λ = NaN is not a cell/,
  );
  await fails(
    () => checkBestSweepCell({ temperature: 2, lambda: 0.5 }, sweep),
    /heatmap/,
    /T = 2, λ = 0.5 reached 90.40 %; the best cell, T = 10, λ = 0.5, reached 92.20 %/,
  );
  await fails(() => checkBestSweepCell({ temperature: 1, lambda: 0.25 }, sweep), /LOWEST/);
  await fails(
    () => checkBestSweepCell({ temperature: 0.5, lambda: 10 }, sweep),
    /not a cell|swapped/,
  );
  const swappedSweep = [...sweep, { temperature: 0.5, lambda: 2, accuracy: 0.5 }];
  await fails(() => checkBestSweepCell({ temperature: 2, lambda: 0.5 }, swappedSweep), /.+/);
  await fails(() => checkBestSweepCell({ temperature: 0.25, lambda: 5 }, sweep), /swapped/);
  await fails(
    () =>
      checkBestSweepCell(() => {
        throw new Error("no");
      }, sweep),
    /temperature, lambda/,
    /threw Error: no/,
  );
  assert.throws(
    () => checkBestSweepCell({ temperature: 10, lambda: 0.5 }, []),
    /run the sweep cell first/,
  );
  assert.throws(
    () => checkBestSweepCell({ temperature: 10, lambda: 0.5 }, undefined as unknown as SweepCell[]),
    /non-empty array/,
  );
  assert.throws(
    () =>
      checkBestSweepCell({ temperature: 10, lambda: 0.5 }, [
        { temperature: 1, lambda: 0.5 } as SweepCell,
      ]),
    /no finite number "accuracy"/,
  );
  assert.throws(
    () => checkBestSweepCell({ temperature: 10, lambda: 0.5 }, [sweep[0], { ...sweep[0] }]),
    /each \(T, λ\) must appear once/,
  );
});

Deno.test("checkEnsembleTarget: the mean passes; logits, sums and a single teacher get hints", async () => {
  await passes(() => checkEnsembleTarget(solution("05-ensemble-target")));
  const both = (a: number[][], b: number[][], f: (x: number, y: number) => number) =>
    a.map((row, i) => row.map((x, j) => f(x, b[i][j])));
  await fails(
    async () => checkEnsembleTarget(await skeletonAnswer("05-ensemble-target")),
    /teacher A's probabilities unchanged/,
  );
  await fails(
    () => checkEnsembleTarget((a, b) => both(a, b, (x, y) => x + y)),
    /did not divide by 2/,
  );
  await fails(
    () =>
      checkEnsembleTarget((a, b) =>
        both(a, b, (x, y) => Math.sqrt(x * y)).map((row) => {
          const s = row.reduce((p, q) => p + q, 0);
          return row.map((v) => v / s);
        })
      ),
    /averaged logits/,
  );
  await fails(() => checkEnsembleTarget((a, b) => both(a, b, (x, y) => x * y)), /multiplied/);
  await fails(
    () => checkEnsembleTarget((a, b) => both(a, b, (x, y) => (x + y) / 2 + 0.01)),
    /sums to 1.1, not 1/,
  );
  await fails(
    () => checkEnsembleTarget((a) => a.slice(0, 1)),
    /shaped like probsA/,
    /1 rows for 6/,
  );
  assert.throws(
    () => checkEnsembleTarget(solution("05-ensemble-target"), { tolerance: 0 }),
    /tolerance/,
  );
});

// ---------------------------------------------------------------------------------------------
// answer, display, skeleton sources

Deno.test("answer returns the learner's value, or the solution when KD_SOLUTIONS=1 at load", async () => {
  const previous = Deno.env.get("KD_SOLUTIONS");
  try {
    Deno.env.delete("KD_SOLUTIONS");
    assert.equal(usingSolutions(), false);
    const mine = (logits: number[][]) => logits;
    assert.equal(answer("01-soft-targets", mine), mine);
    assert.equal(answer("01-temperature-quiz", undefined), undefined);
    assert.throws(
      () => answer("01-soft-target" as ExerciseId, mine as never),
      /not an exercise id/,
    );
    // Switched on after the library was loaded: the answer key was never loaded.
    Deno.env.set("KD_SOLUTIONS", "1");
    assert.equal(usingSolutions(), true);
    assert.throws(
      () => answer("01-temperature-quiz", undefined),
      /switched on after the library was loaded/,
    );
  } finally {
    if (previous === undefined) Deno.env.delete("KD_SOLUTIONS");
    else Deno.env.set("KD_SOLUTIONS", previous);
  }
  // Set before loading, as CI does: the solutions, typed from the id.
  const entry = new URL("../lib/mod.ts", import.meta.url).href;
  const code = `import { answer } from "${entry}";
const soft = answer("01-soft-targets", (logits, temperature) => logits.map((r) => r.map((z) => z / temperature)));
console.log(JSON.stringify([answer("01-temperature-quiz", undefined), soft([[0, 0]], 2)]));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { KD_SOLUTIONS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.deepEqual(JSON.parse(lines[lines.length - 1]), ["flatter", [[0.5, 0.5]]]);
});

Deno.test("the answer key is outside lib/mod.ts's static imports: only answer loads it", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", fileURLToPath(new URL("../lib/mod.ts", import.meta.url))],
    stdout: "piped",
  }).output();
  const info: {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  } = JSON.parse(new TextDecoder().decode(out.stdout));
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const reached = new Set<string>();
  const dynamic: string[] = [];
  const visit = (specifier: string) => {
    if (reached.has(specifier)) return;
    reached.add(specifier);
    for (const d of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (!d.code?.specifier.startsWith("file:")) continue;
      if (d.isDynamic) dynamic.push(d.code.specifier);
      else visit(d.code.specifier);
    }
  };
  visit(info.roots[0]);
  const key = [...reached].filter((s) => /\/solutions?\.ts$/.test(s));
  assert.deepEqual(key, [], "lib/mod.ts imports the answer key statically");
  assert.ok(reached.size > 50, `only ${reached.size} modules reached`);
  // The engine package loads its engines lazily too; of lib's own modules only the key is dynamic.
  const lib = new URL("../lib/", import.meta.url).href;
  assert.deepEqual(
    dynamic.filter((s) => s.startsWith(lib)).map((s) => s.replace(/^.*\/lib\//, "lib/")),
    ["lib/exercises/solutions.ts"],
  );
});

Deno.test("results display as a ✓/✗ bundle and print one line outside the kernel", async () => {
  const ok = checkTemperatureQuiz("flatter");
  const bad = checkTemperatureQuiz("sharper");
  assert.match(resultText(ok), /^✓ 01-temperature-quiz \(Quiz: .*\): passed — right/);
  assert.match(resultText(bad), /^✗ 01-temperature-quiz .*not yet.*\n {2}hint: Look at/);
  assert.equal(String(bad), resultText(bad));
  const html = resultBundle(bad)["text/html"] as string;
  assert.match(html, /✗ not yet/);
  assert.match(html, /#c62828/);
  assert.match(resultBundle(ok)["text/html"] as string, /✓ passed/);
  // The kernel renders a result that is a cell's last expression.
  const display = (ok as unknown as Record<symbol, () => unknown>)[Symbol.for("Jupyter.display")];
  assert.deepEqual(display(), resultBundle(ok));
  assert.deepEqual(Object.keys(ok), ["exercise", "title", "passed", "message"]);

  const lines = await printedLines(async () => {
    await showResult(bad);
    await showResult(Promise.resolve(ok));
  });
  assert.deepEqual(lines, [resultText(bad), resultText(ok)]);
  await assert.rejects(
    () => showResult(42 as unknown as CheckResult),
    /expects the result of a check/,
  );
});

Deno.test("every exercise has a solution and a skeleton cell naming its check", () => {
  assert.equal(EXERCISE_IDS.length, 13);
  for (const id of EXERCISE_IDS) {
    const { cell, check } = EXERCISES[id];
    assert.match(cell.source, new RegExp(`answer\\(\\s*"${id}"`), id);
    assert.ok(cell.source.includes(`${check}(`), id);
    assert.ok(cell.imports.includes(check), id);
    assert.ok(cell.source.includes("TODO"), id);
  }
  assert.deepEqual(Object.keys(SOLUTIONS), EXERCISE_IDS);
  const notebooks = new Set(EXERCISE_IDS.map((id) => EXERCISES[id].notebook));
  assert.deepEqual([...notebooks], ["01", "02", "03", "04", "05", "06"]);
});

Deno.test("the skeleton answer is the cell's own answer expression, evaluated", async () => {
  assert.equal(skeletonExpression("01-temperature-quiz"), "undefined");
  assert.equal(skeletonExpression("02-cifar-training"), "mnistStudent({ seed: 1 })");
  assert.equal(
    skeletonExpression("01-soft-targets"),
    "(logits, temperature) => {\n" +
      "  // TODO: divide each logit by the temperature, exponentiate, divide by the row's sum.\n" +
      "  return todo(logits, temperature);\n}",
  );
  assert.equal(await skeletonAnswer("01-temperature-quiz"), undefined);
  assert.equal((await skeletonAnswer("04-cosine-loss"))(tf.ones([1, 2]), tf.ones([1, 2])), 0);
  // A fresh value per call: a test that disposes one skeleton's models leaves the next intact.
  const [a, b] = [await skeletonAnswer("02-cifar-models"), await skeletonAnswer("02-cifar-models")];
  assert.notEqual(a.teacher, b.teacher);
  for (const m of [a.teacher, a.student, b.teacher, b.student]) m.dispose();
});
