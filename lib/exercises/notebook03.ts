/** Notebook 03's exercises: student–teacher agreement, and saving and reloading a model. */
import type * as tf from "@tensorflow/tfjs";
import { type Dataset, select } from "../data/dataset.ts";
import { accuracyOf } from "../distill/evaluate.ts";
import { predictOutputs } from "../distill/outputs.ts";
import { countTrainableParams } from "../models/blocks.ts";
import { createRng } from "../random.ts";
import type { AgreementFn } from "./ids.ts";
import { checkFailed, checkPassed, type CheckResult } from "./result.ts";
import {
  callLearner,
  count,
  describeKind,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  isLayersModel,
  ok,
  problem,
  startFunctionCheck,
} from "./util.ts";

interface AgreementCase {
  label: string;
  teacher: Uint8Array;
  student: Uint8Array;
}

function agreementCases(seed: number): AgreementCase[] {
  const rng = createRng(seed + 303);
  const random = (n: number) => Uint8Array.from({ length: n }, () => rng.int(10));
  const teacher = random(50);
  // The student copies the teacher 70 % of the time.
  const student = teacher.map((c) => (rng.next() < 0.7 ? c : (c + 1 + rng.int(9)) % 10));
  const all = random(20);
  const none = random(12);
  const big = random(200);
  return [
    { label: "50 predictions, partly agreeing", teacher, student },
    { label: "20 identical predictions", teacher: all, student: all.slice() },
    {
      label: "12 predictions that never agree",
      teacher: none,
      student: none.map((c) => (c + 3) % 10),
    },
    {
      label: "200 predictions",
      teacher: big,
      student: big.map((c, i) => (i % 4 === 0 ? (c + 1) % 10 : c)),
    },
  ];
}

/**
 * Checks `fn(teacherPred, studentPred)` — the fraction of examples on which the
 * two predicted classes agree — on seeded predictions (given as Uint8Array, as
 * `predictClasses` returns them), including full and zero agreement.
 */
export function checkAgreement(fn: AgreementFn, options: FunctionCheckOptions = {}): CheckResult {
  const id = "03-agreement";
  const start = startFunctionCheck(
    id,
    "checkAgreement",
    fn,
    "(teacherPred, studentPred) => number",
    options,
  );
  if ("passed" in start) return start;
  const { seed } = start;
  for (const c of agreementCases(seed)) {
    const want = accuracyOf(c.student, c.teacher);
    const n = c.teacher.length;
    const got = callLearner<number>(
      () => fn(c.teacher.slice(), c.student.slice()),
      (
        v,
      ) => (typeof v === "number"
        ? ok(v)
        : problem(`it returned ${describeKind(v)}, not a number`)),
    );
    if (!got.ok) {
      return checkFailed(id, `on ${c.label}, ${got.problem}`, "return one number in [0, 1].");
    }
    const g = got.value;
    if (Math.abs(g - want) <= 1e-9) continue;
    const agreeing = Math.round(want * n);
    const message = `on ${c.label}: expected ${fmt(want)} (${agreeing} of ${n} agree), got ${
      fmt(g)
    }`;
    const hint = Number.isNaN(g)
      ? "NaN: check for a division by zero — divide by the number of examples, teacherPred.length."
      : g === agreeing && n !== 1
      ? `you returned the count of agreeing examples: divide it by the number of examples (${n}).`
      : Math.abs(g - (1 - want)) <= 1e-9
      ? "that is the fraction where they DISagree: count the examples whose classes are equal."
      : Math.abs(g - 100 * want) <= 1e-6
      ? "that is a percentage: return a fraction in [0, 1]."
      : g === n - agreeing
      ? "that is the number of disagreeing examples: count equal classes and divide by the total."
      : `compare the two arrays position by position: teacher ${fmtRow(c.teacher, 8)} vs ` +
        `student ${fmtRow(c.student, 8)}, and return (equal positions) / (all positions).`;
    return checkFailed(id, message, hint);
  }
  return checkPassed(
    id,
    "right on partial, full (1) and zero (0) agreement, on Uint8Array predictions",
  );
}

// ---------------------------------------------------------------------------------------------
// 03-save-reload

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
      `running the models on the data failed: ${e instanceof Error ? e.message : String(e)}`,
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
