/**
 * Exercise 03-agreement of notebook 03, "Student–teacher agreement": its answer type, check and
 * skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when KD_SOLUTIONS is
 * on.
 */
import { accuracyOf } from "../../distill/evaluate.ts";
import { createRng } from "../../random.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import {
  callLearner,
  describeKind,
  fmt,
  fmtRow,
  type FunctionCheckOptions,
  ok,
  problem,
  startFunctionCheck,
} from "../util.ts";
import { defineExercise } from "../define.ts";

/** the fraction in [0, 1] of examples on which the two predicted classes agree. */
export type AgreementFn = (
  teacherPred: ArrayLike<number>,
  studentPred: ArrayLike<number>,
) => number;

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

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"03-agreement", AgreementFn>({
  id: "03-agreement",
  notebook: "03",
  title: "Student–teacher agreement",
  check: "checkAgreement",
  cell: {
    imports: ["answer", "checkAgreement", "showResult", "todo"],
    needs: [],
    source:
      `// Exercise: how often does the student predict the teacher's class? A fraction in [0, 1].
const agreement = answer("03-agreement", (teacherPred, studentPred) => {
  // TODO: count the examples i where studentPred[i] === teacherPred[i], divide by their number.
  return todo(0, teacherPred, studentPred);
});
await showResult(checkAgreement(agreement));
`,
  },
});
