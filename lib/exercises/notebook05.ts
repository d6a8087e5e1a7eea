/** Notebook 05's exercises: the best cell of the T × λ sweep, and a two-teacher ensemble target. */
import { createRng } from "../random.ts";
import type { EnsembleTargetFn, SweepCell, SweepChoice, SweepPicker } from "./ids.ts";
import { checkFailed, checkPassed, type CheckResult } from "./result.ts";
import {
  callLearner,
  closeMatrix,
  copyMatrix,
  describeKind,
  firstDifferingRow,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  mapMatrix,
  normalMatrix,
  ok,
  readMatrix,
  softmaxRows,
  startFunctionCheck,
} from "./util.ts";

// ---------------------------------------------------------------------------------------------
// 05-best-sweep-cell

const SAME = 1e-9;
const sameCell = (a: SweepChoice, b: SweepChoice) =>
  Math.abs(a.temperature - b.temperature) <= SAME && Math.abs(a.lambda - b.lambda) <= SAME;

function validateCells(cells: unknown): asserts cells is readonly SweepCell[] {
  if (!Array.isArray(cells) || cells.length === 0) {
    throw new TypeError(
      `checkBestSweepCell: pass the sweep's cells as a non-empty array of ` +
        `{ temperature, lambda, accuracy }, got ${describeKind(cells)} — run the sweep cell first`,
    );
  }
  cells.forEach((c: Partial<SweepCell> | null, i) => {
    const fields = ["temperature", "lambda", "accuracy"] as const;
    const bad = fields.find((f) => typeof c?.[f] !== "number" || !Number.isFinite(c[f]));
    if (bad) {
      throw new TypeError(
        `checkBestSweepCell: sweep cell ${i} has no finite number "${bad}" (${JSON.stringify(c)})`,
      );
    }
  });
  cells.forEach((c: SweepCell, i) => {
    const j = cells.findIndex((d: SweepCell) => sameCell(c, d));
    if (j !== i) {
      throw new RangeError(
        `checkBestSweepCell: cells ${j} and ${i} are both T = ${c.temperature}, λ = ${c.lambda}; ` +
          `each (T, λ) must appear once (average repeated runs first)`,
      );
    }
  });
}

/**
 * Checks the learner's pick of the best (T, λ): `choice` is a `{ temperature,
 * lambda }` or a function that picks it from the cells. Passes for any cell with
 * the highest accuracy (ties included). Misused — no cells, a malformed cell,
 * a repeated (T, λ) — it throws.
 */
export function checkBestSweepCell(
  choice: SweepChoice | SweepPicker,
  cells: readonly SweepCell[],
): CheckResult {
  validateCells(cells);
  const id = "05-best-sweep-cell";
  const asFraction = cells.every((c) => c.accuracy >= 0 && c.accuracy <= 1);
  const acc = (a: number) => (asFraction ? `${(100 * a).toFixed(2)} %` : fmt(a));
  const name = (c: SweepChoice) => `T = ${fmt(c.temperature)}, λ = ${fmt(c.lambda)}`;
  const best = cells.reduce((b, c) => (c.accuracy > b.accuracy ? c : b));
  const worst = cells.reduce((b, c) => (c.accuracy < b.accuracy ? c : b));
  const lookAt = "Sort the cells by accuracy, or find the darkest cell of the sweep's heatmap.";
  let picked: unknown = choice;
  if (typeof choice === "function") {
    const frozen = Object.freeze(cells.map((c) => Object.freeze({ ...c })));
    const got = callLearner(() => choice(frozen), (v) => ok(v));
    if (!got.ok) {
      return checkFailed(
        id,
        `the picker failed: ${got.problem}`,
        "return { temperature, lambda }.",
      );
    }
    picked = got.value;
  }
  const p = picked as Partial<SweepChoice> | null;
  if (typeof p !== "object" || p === null) {
    return checkFailed(
      id,
      `the answer is ${describeKind(picked)}`,
      "return an object { temperature, lambda } naming one cell of the sweep.",
    );
  }
  const temperatures = [...new Set(cells.map((c) => c.temperature))].sort((a, b) => a - b);
  const lambdas = [...new Set(cells.map((c) => c.lambda))].sort((a, b) => a - b);
  if (typeof p.temperature !== "number" || typeof p.lambda !== "number") {
    return checkFailed(
      id,
      `the answer ${JSON.stringify(p)} lacks a numeric temperature or lambda`,
      `name one cell of the sweep: T is one of ${temperatures.join(", ")} and λ one of ` +
        `${lambdas.join(", ")}. ${lookAt}`,
    );
  }
  const pickedChoice = { temperature: p.temperature, lambda: p.lambda };
  const cell = cells.find((c) => sameCell(c, pickedChoice));
  if (!cell) {
    const swapped = cells.find((c) =>
      sameCell(c, { temperature: pickedChoice.lambda, lambda: pickedChoice.temperature })
    );
    return checkFailed(
      id,
      `${name(pickedChoice)} is not a cell of the sweep`,
      swapped
        ? `T and λ look swapped: the sweep has ${name(swapped)}.`
        : `the sweep tried T ∈ {${temperatures.join(", ")}} and λ ∈ {${lambdas.join(", ")}}. ` +
          lookAt,
    );
  }
  const ties = cells.filter((c) => c.accuracy === best.accuracy).length;
  if (cell.accuracy >= best.accuracy) {
    return checkPassed(
      id,
      `${name(cell)} reached ${acc(cell.accuracy)}, the best of the ${cells.length} cells` +
        (ties > 1 ? ` (tied with ${ties - 1} other${ties > 2 ? "s" : ""})` : ""),
    );
  }
  return checkFailed(
    id,
    `${name(cell)} reached ${acc(cell.accuracy)}; the best cell, ${name(best)}, reached ` +
      `${acc(best.accuracy)}`,
    cell === worst
      ? `that is the LOWEST accuracy of the sweep: pick the maximum, not the minimum.`
      : `${lookAt} Your cell is ${acc(best.accuracy - cell.accuracy)} below the best.`,
  );
}

// ---------------------------------------------------------------------------------------------
// 05-ensemble-target

function ensembleInputs(seed: number, rows: number): { a: number[][]; b: number[][] } {
  // Teachers that mostly agree but not everywhere, as real ones do.
  const base = normalMatrix(rows, 10, seed + 61, 2);
  const rng = createRng(seed + 62);
  const noisy = () => mapMatrix(base, (v) => v + 1.5 * rng.normal());
  return { a: softmaxRows(noisy()), b: softmaxRows(noisy()) };
}

function ensembleCandidates(a: number[][], b: number[][]): Record<string, number[][]> {
  const both = (f: (x: number, y: number) => number) => mapMatrix(a, (x, i, j) => f(x, b[i][j]));
  const normalise = (m: number[][]) =>
    m.map((row) => {
      const s = row.reduce((p, q) => p + q, 0);
      return row.map((v) => v / s);
    });
  const mean = both((x, y) => (x + y) / 2);
  return {
    reference: mean,
    a,
    b,
    sum: both((x, y) => x + y),
    product: both((x, y) => x * y),
    geometric: both((x, y) => Math.sqrt(x * y)),
    logitMean: normalise(both((x, y) => Math.sqrt(x * y))),
    logMean: both((x, y) => (Math.log(x) + Math.log(y)) / 2),
    max: both(Math.max),
    maxNormalised: normalise(both(Math.max)),
    softmaxAgain: softmaxRows(mean),
  };
}

const ENSEMBLE_HINTS: Record<string, string> = {
  a: "you returned teacher A's probabilities unchanged: the target is the element-wise mean of " +
    "A and B.",
  b: "you returned teacher B's probabilities unchanged: the target is the element-wise mean of " +
    "A and B.",
  sum: "each row sums to 2: you added the two teachers but did not divide by 2 — average them so " +
    "the target is a probability distribution again.",
  product: "you multiplied the probabilities: the rows no longer sum to 1. Average them instead.",
  geometric: "that is the geometric mean √(A·B), and its rows do not sum to 1: average the " +
    "probabilities themselves, (A + B) / 2.",
  logitMean: "you averaged logits (log-probabilities) and took the softmax: that is a normalised " +
    "geometric mean. MEAL V2 averages the PROBABILITIES: (A + B) / 2.",
  logMean: "you returned averaged log-probabilities: average the probabilities themselves and " +
    "return probabilities, (A + B) / 2.",
  max: "you took the element-wise max, and the rows no longer sum to 1: average A and B.",
  maxNormalised: "you took the element-wise max (normalised): the ensemble averages A and B.",
  softmaxAgain:
    "you applied a softmax to probabilities: (A + B) / 2 already sums to 1 — return it " +
    "as it is.",
};

/**
 * Checks `fn(probsA, probsB)` — the element-wise mean of two teachers'
 * probabilities, MEAL V2's ensemble target — on seeded probability rows.
 * Max abs error `tolerance` (default 1e-6).
 */
export function checkEnsembleTarget(
  fn: EnsembleTargetFn,
  options: FunctionCheckOptions = {},
): CheckResult {
  const id = "05-ensemble-target";
  const start = startFunctionCheck(
    id,
    "checkEnsembleTarget",
    fn,
    "(probsA: number[][], probsB: number[][]) => number[][]",
    options,
    1e-6,
  );
  if ("passed" in start) return start;
  const { seed, tolerance } = start;
  for (const rows of [6, 1]) {
    const { a, b } = ensembleInputs(seed + rows, rows);
    const k = ensembleCandidates(a, b);
    const at = `on ${rows} row${rows > 1 ? "s" : ""} of 10 probabilities`;
    const got = callLearner(() => fn(copyMatrix(a), copyMatrix(b)), (v) => readMatrix(v, rows, 10));
    if (!got.ok) {
      return checkFailed(id, `${at}, ${got.problem}`, "return number[][] shaped like probsA.");
    }
    const row = firstDifferingRow(got.value, k.reference, tolerance);
    if (row < 0) continue;
    const match = Object.keys(ENSEMBLE_HINTS).find((key) => closeMatrix(got.value, k[key], 1e-6));
    const sums = got.value.map((r) => r.reduce((p, q) => p + q, 0));
    const badSum = sums.findIndex((s) => !(Math.abs(s - 1) <= 1e-6));
    return checkFailed(
      id,
      `${at}, row ${row} differs: expected ${fmtRow(k.reference[row], 4)}, got ${
        fmtRow(got.value[row], 4)
      }`,
      match
        ? ENSEMBLE_HINTS[match]
        : badSum >= 0
        ? `row ${badSum} sums to ${fmt(sums[badSum])}, not 1: the target must stay a probability ` +
          "distribution — average A and B, (A + B) / 2."
        : "each value must be (probsA[i][j] + probsB[i][j]) / 2.",
    );
  }
  return checkPassed(id, "matches the element-wise mean (A + B) / 2 and every row sums to 1");
}
