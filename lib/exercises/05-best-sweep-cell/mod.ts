/**
 * Exercise 05-best-sweep-cell of notebook 05, "The best (T, λ) of the sweep": its answer type,
 * check and skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when
 * KD_SOLUTIONS is on.
 */
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import { callLearner, describeKind, fmt, ok } from "../util.ts";
import { defineExercise } from "../define.ts";

/** one cell of the temperature × λ grid. */
export interface SweepChoice {
  temperature: number;
  lambda: number;
}

/** a sweep result as the notebook records it; accuracy as a fraction (or a percentage). */
export interface SweepCell extends SweepChoice {
  accuracy: number;
}

/** picks the best cell from the sweep results. */
export type SweepPicker = (cells: readonly SweepCell[]) => SweepChoice;

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

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"05-best-sweep-cell", SweepPicker>({
  id: "05-best-sweep-cell",
  notebook: "05",
  title: "The best (T, λ) of the sweep",
  check: "checkBestSweepCell",
  cell: {
    imports: ["answer", "checkBestSweepCell", "showResult", "todo"],
    needs: ["sweep"],
    source: `// Exercise: which (T, λ) did best in the sweep above?
const pickBestCell = answer("05-best-sweep-cell", (cells) => {
  // TODO: return the { temperature, lambda } of the cell with the highest accuracy.
  return todo({ temperature: NaN, lambda: NaN }, cells);
});
const sweepCells = sweep.map((c) => ({ temperature: c.T, lambda: c.lambda, accuracy: c.accuracy }));
await showResult(checkBestSweepCell(pickBestCell, sweepCells));
`,
  },
});
