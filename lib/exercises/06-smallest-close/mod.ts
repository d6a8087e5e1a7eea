/**
 * Exercise 06-smallest-close of notebook 06, "The smallest model within 1 point of its teacher":
 * its answer type, check and skeleton cell. Its solution is in ./solution.ts, which only `answer`
 * loads, when KD_SOLUTIONS is on.
 */
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import { callLearner, count, describeKind, ok, problem } from "../util.ts";
import { defineExercise } from "../define.ts";

/** One row of the notebook's shipping table: a model in one weight format. */
export interface ShippedRow {
  /** "MNIST student", … */
  readonly model: string;
  /** "float32" | "float16" | "uint8". */
  readonly format: string;
  /** Bytes of model.json + weights.bin. */
  readonly bytes: number;
  /** Test accuracy as a fraction. */
  readonly accuracy: number;
}

/** picks, from `rows`, the smallest one whose accuracy is at most 1 point below `teacherAccuracy`. */
export type SmallestCloseFn = (rows: readonly ShippedRow[], teacherAccuracy: number) => ShippedRow;

/** The right row: fewest bytes among those within 0.01 of the teacher (ties: the first). */
function smallestClose(rows: readonly ShippedRow[], teacher: number): ShippedRow | undefined {
  return rows.filter((r) => r.accuracy >= teacher - 0.01 - 1e-12)
    .reduce<ShippedRow | undefined>((b, r) => (!b || r.bytes < b.bytes ? r : b), undefined);
}

/**
 * Checks `fn` on the notebook's rows (one task's models and its teacher's float32 accuracy) and on
 * a made-up table where the smallest row overall is too inaccurate.
 */
export function checkSmallestClose(
  fn: SmallestCloseFn,
  rows: readonly ShippedRow[],
  teacherAccuracy: number,
): CheckResult {
  if (!Array.isArray(rows) || rows.length === 0 || !(teacherAccuracy > 0)) {
    throw new TypeError(
      `checkSmallestClose: pass the table's rows (non-empty array) and the teacher's accuracy, ` +
        `got ${describeKind(rows)} and ${teacherAccuracy} — run the table cell first`,
    );
  }
  const id = "06-smallest-close";
  const made: ShippedRow[] = [
    { model: "teacher", format: "float32", bytes: 400_000, accuracy: 0.99 },
    { model: "teacher", format: "uint8", bytes: 100_000, accuracy: 0.985 },
    { model: "student", format: "float32", bytes: 40_000, accuracy: 0.982 },
    { model: "student", format: "uint8", bytes: 10_000, accuracy: 0.978 },
  ];
  for (
    const [label, table, teacher] of [
      ["the notebook's table", rows, teacherAccuracy],
      ["a table where the smallest model is 1.2 points below the teacher", made, 0.99],
    ] as const
  ) {
    const want = smallestClose(table, teacher)!;
    const got = callLearner<ShippedRow>(
      () => fn(table, teacher),
      (v) =>
        v && typeof v === "object" && "bytes" in v
          ? ok(v as ShippedRow)
          : problem(`it returned ${describeKind(v)}; return one of the rows`),
    );
    if (!got.ok) return checkFailed(id, `on ${label}, ${got.problem}`, "return a row of `rows`.");
    const g = got.value;
    if (g.model !== want.model || g.format !== want.format) {
      const tooFar = g.accuracy < teacher - 0.01 - 1e-12;
      return checkFailed(
        id,
        `on ${label} it picked ${g.model} ${g.format} (${count(g.bytes)} bytes, ` +
          `${(100 * g.accuracy).toFixed(2)} %); the answer is ${want.model} ${want.format} ` +
          `(${count(want.bytes)} bytes, ${(100 * want.accuracy).toFixed(2)} %)`,
        tooFar
          ? "keep only rows with accuracy ≥ teacherAccuracy − 0.01 before taking the smallest."
          : "among the rows close enough, take the one with the fewest bytes.",
      );
    }
  }
  return checkPassed(id, "right on the notebook's table and on a made-up one");
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"06-smallest-close", SmallestCloseFn>({
  id: "06-smallest-close",
  notebook: "06",
  title: "The smallest model within 1 point of its teacher",
  check: "checkSmallestClose",
  cell: {
    imports: ["answer", "checkSmallestClose", "showResult", "todo"],
    needs: ["mnistRows", "mnistTeacherAccuracy"],
    source:
      `// Exercise: the smallest MNIST row (any model, any format) at most 1 point below the teacher.
const smallestClose = answer("06-smallest-close", (rows, teacherAccuracy) => {
  // TODO: keep rows with accuracy ≥ teacherAccuracy − 0.01, return the one with fewest bytes.
  return todo(rows[0], teacherAccuracy);
});
await showResult(checkSmallestClose(smallestClose, mnistRows, mnistTeacherAccuracy));
`,
  },
});
