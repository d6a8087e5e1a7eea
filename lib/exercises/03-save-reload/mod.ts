/**
 * Exercise 03-save-reload of notebook 03, "Save and reload a model": its answer type, check and
 * skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when KD_SOLUTIONS is
 * on.
 */
import type * as tf from "@tensorflow/tfjs";
import { type Dataset, select } from "../../data/dataset.ts";
import { predictOutputs } from "../../distill/outputs.ts";
import { countTrainableParams } from "../../models/blocks.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import { count, describeKind, fmt, fmtRow, isLayersModel } from "../util.ts";
import { defineExercise } from "../define.ts";
import { message } from "../../errors.ts";

/** saves `model` to `dir` and returns the model loaded back from there. */
export type SaveAndReloadFn = (
  model: tf.LayersModel,
  dir: string,
) => Promise<tf.LayersModel> | tf.LayersModel;

export interface ReloadCheckOptions {
  /** Examples compared (the first ones of `data`; default 1,000). */
  limit?: number;
  /** Largest accepted difference between the two models' logits (default 1e-6). */
  tolerance?: number;
}

/**
 * Checks that `reloaded` predicts exactly what `original` predicts on the
 * first `limit` examples of `data` (class and logits); on a fail it names the
 * first differing example. Also catches returning the original object itself.
 */
export function checkReloadedModel(
  original: tf.LayersModel,
  reloaded: tf.LayersModel,
  data: Dataset,
  options: ReloadCheckOptions = {},
): CheckResult {
  const { limit = 1_000, tolerance = 1e-6 } = options;
  if (!isLayersModel(original)) {
    throw new TypeError(
      `checkReloadedModel: the first argument must be the original tf.LayersModel, got ${
        describeKind(original)
      }`,
    );
  }
  const d = data as Dataset | undefined;
  if (!d || typeof d !== "object" || typeof d.size !== "number" || !d.x || !d.shape) {
    throw new TypeError(
      `checkReloadedModel: the third argument must be a Dataset (e.g. the test set), got ${
        describeKind(data)
      }`,
    );
  }
  if (d.size < 1) throw new RangeError("checkReloadedModel: the dataset is empty");
  if (!Number.isInteger(limit) || limit < 1 || !(tolerance >= 0)) {
    throw new RangeError(
      `checkReloadedModel: limit must be a positive integer and tolerance ≥ 0, got ${limit} and ` +
        `${tolerance}`,
    );
  }
  const id = "03-save-reload";
  const howTo = "save with `await saveModel(model, dir)` and return `await loadModel(dir)`.";
  if (!isLayersModel(reloaded)) {
    const kind = describeKind(reloaded);
    return checkFailed(
      id,
      `the reloaded model is ${kind}, not a tf.LayersModel`,
      kind === "a Promise"
        ? "await it: `const reloaded = await saveAndReload(model, dir)`."
        : howTo,
    );
  }
  if (reloaded === original) {
    return checkFailed(
      id,
      "the reloaded model is the original object itself, so nothing was saved or loaded",
      howTo,
    );
  }
  const showShape = (m: tf.LayersModel) =>
    `[${m.inputs[0].shape.map((x) => x ?? "null")}] → [${
      m.outputs[0].shape.map((x) => x ?? "null")
    }]`;
  if (showShape(original) !== showShape(reloaded)) {
    return checkFailed(
      id,
      `the reloaded model maps ${showShape(reloaded)}, the original ${showShape(original)}`,
      "load the directory the original was saved to — this is a different architecture.",
    );
  }
  const [po, pr] = [countTrainableParams(original), countTrainableParams(reloaded)];
  if (po !== pr) {
    return checkFailed(
      id,
      `the reloaded model has ${count(pr)} trainable parameters, the original ${count(po)}`,
      "load the directory the original was saved to — this is a different architecture.",
    );
  }
  const n = Math.min(limit, d.size);
  const part = n === d.size ? d : select(d, Array.from({ length: n }, (_, i) => i));
  let a: Float32Array;
  let b: Float32Array;
  try {
    a = predictOutputs(original, part).logits!.values;
    b = predictOutputs(reloaded, part).logits!.values;
  } catch (e) {
    return checkFailed(
      id,
      `running the models on the data failed: ${message(e)}`,
      "pass the dataset the models were trained for (e.g. the notebook's test set).",
    );
  }
  const k = a.length / n;
  const argmax = (v: Float32Array, i: number) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (v[i * k + c] > v[i * k + best]) best = c;
    return best;
  };
  let differing = 0;
  let first = -1;
  for (let i = 0; i < n; i++) {
    let diff = 0;
    for (let c = 0; c < k; c++) diff = Math.max(diff, Math.abs(a[i * k + c] - b[i * k + c]));
    if (!(diff <= tolerance) || argmax(a, i) !== argmax(b, i)) {
      differing++;
      if (first < 0) first = i;
    }
  }
  if (first >= 0) {
    const row = (v: Float32Array) => fmtRow(v.subarray(first * k, (first + 1) * k), 5);
    return checkFailed(
      id,
      `example ${first} differs: the original predicts class ${argmax(a, first)} (logits ` +
        `${row(a)}), the reloaded one class ${argmax(b, first)} (logits ${row(b)}); ` +
        `${differing} of ${n} examples differ`,
      differing > n / 2
        ? "the weights are not the original's: save the trained model, and load from the same " +
          "directory you saved to (a freshly built model has random weights)."
        : "a few examples differ: the weights are close but not identical — load the saved " +
          "files instead of copying or re-training.",
    );
  }
  return checkPassed(
    id,
    `identical predictions on ${count(n)} examples (logits within ${fmt(tolerance)})`,
  );
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"03-save-reload", SaveAndReloadFn>({
  id: "03-save-reload",
  notebook: "03",
  title: "Save and reload a model",
  check: "checkReloadedModel",
  cell: {
    imports: ["answer", "checkReloadedModel", "showResult", "todo"],
    needs: ["student", "test"],
    source:
      `// Exercise: save the student and load it back. Helpers: saveModel(model, dir), loadModel(dir).
const saveAndReload = answer("03-save-reload", (model, dir) => {
  // TODO: save \`model\` to \`dir\`, then return the model loaded from \`dir\` (make it async).
  return todo(model, dir);
});
const myReloaded = await saveAndReload(student, "../data/models/03-student-exercise");
await showResult(checkReloadedModel(student, myReloaded, test));
`,
  },
});
