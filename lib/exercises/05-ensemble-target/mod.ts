/**
 * Exercise 05-ensemble-target of notebook 05, "A two-teacher ensemble target": its answer type,
 * check and skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when
 * KD_SOLUTIONS is on.
 */
import { createRng } from "../../random.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import {
  callLearner,
  closeMatrix,
  copyMatrix,
  firstDifferingRow,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  mapMatrix,
  normalMatrix,
  readMatrix,
  softmaxRows,
  startFunctionCheck,
} from "../util.ts";
import { defineExercise } from "../define.ts";

/** a two-teacher ensemble's target: the two teachers' probabilities averaged. */
export type EnsembleTargetFn = (probsA: number[][], probsB: number[][]) => number[][];

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

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"05-ensemble-target", EnsembleTargetFn>({
  id: "05-ensemble-target",
  notebook: "05",
  title: "A two-teacher ensemble target",
  check: "checkEnsembleTarget",
  cell: {
    imports: ["answer", "checkEnsembleTarget", "showResult", "todo"],
    needs: [],
    source: `// Exercise: the target of a two-teacher ensemble, from the teachers' probabilities.
const ensembleTarget = answer("05-ensemble-target", (probsA, probsB) => {
  // TODO: combine the two teachers' probabilities into one distribution per row.
  return todo(probsA, probsB);
});
await showResult(checkEnsembleTarget(ensembleTarget));
`,
  },
});
