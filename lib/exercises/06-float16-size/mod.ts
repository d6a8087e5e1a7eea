/**
 * Exercise 06-float16-size of notebook 06, "A model's float16 size from its parameter count": its
 * answer type, check and skeleton cell. Its solution is in ./solution.ts, which only `answer`
 * loads, when KD_SOLUTIONS is on.
 */
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import { callLearner, count, describeKind, ok, problem } from "../util.ts";
import { defineExercise } from "../define.ts";

/** the bytes of a float16 weights file holding `values` stored numbers. */
export type Float16SizeFn = (values: number) => number;

/** One model as the notebook measured it: values stored, and its float16 weights file. */
export interface MeasuredSize {
  readonly model: string;
  readonly storedValues: number;
  readonly float16Bytes: number;
}

/**
 * Checks `fn` against every measured model (the bytes saveModel actually wrote) and a few counts
 * chosen here, so a lookup of the notebook's numbers does not pass.
 */
export function checkFloat16Size(
  fn: Float16SizeFn,
  measured: readonly MeasuredSize[],
): CheckResult {
  if (!Array.isArray(measured) || measured.length === 0) {
    throw new TypeError(
      `checkFloat16Size: pass the measured sizes (non-empty array of { model, storedValues, ` +
        `float16Bytes }), got ${describeKind(measured)} — run the measuring cell first`,
    );
  }
  const id = "06-float16-size";
  const cases = [
    ...measured.map((m) => ({ label: m.model, values: m.storedValues, want: m.float16Bytes })),
    { label: "a 6-8-3 network (83 values)", values: 83, want: 166 },
    { label: "one value", values: 1, want: 2 },
  ];
  for (const c of cases) {
    const got = callLearner<number>(
      () => fn(c.values),
      (v) =>
        typeof v === "number" && Number.isFinite(v)
          ? ok(v)
          : problem(`it returned ${describeKind(v)}; return a number of bytes`),
    );
    if (!got.ok) return checkFailed(id, `for ${c.label}, ${got.problem}`, "return values · 2.");
    if (got.value !== c.want) {
      const ratio = got.value / c.values;
      return checkFailed(
        id,
        `for ${c.label} (${count(c.values)} values) it says ${count(got.value)} bytes; the file ` +
          `holds ${count(c.want)}`,
        ratio === 4
          ? "that is float32's 4 bytes a value; a half float takes 2."
          : ratio === 16
          ? "16 is bits, not bytes: a half float is 16 bits = 2 bytes."
          : "a float16 value is 16 bits, 2 bytes; the file holds nothing else.",
      );
    }
  }
  return checkPassed(id, `right for all ${cases.length} models, the notebook's included`);
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"06-float16-size", Float16SizeFn>({
  id: "06-float16-size",
  notebook: "06",
  title: "A model's float16 size from its parameter count",
  check: "checkFloat16Size",
  cell: {
    imports: ["answer", "checkFloat16Size", "showResult", "todo"],
    needs: ["measuredSizes"],
    source:
      `// Exercise: how many bytes does a float16 weights file take for \`values\` stored numbers?
const float16Bytes = answer("06-float16-size", (values: number) => {
  // TODO: return the size in bytes.
  return todo(0, values);
});
await showResult(checkFloat16Size(float16Bytes, measuredSizes));
`,
  },
});
