/**
 * Exercise 01-temperature-quiz of notebook 01, "Quiz: what does a higher temperature do?": its
 * answer type, check and skeleton cell. Its solution is in ./solution.ts, which only `answer`
 * loads, when KD_SOLUTIONS is on.
 */
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import { describeKind } from "../util.ts";
import { defineExercise } from "../define.ts";

/** the classroom quiz, "does a higher temperature make the distribution flatter?" */
export type TemperatureChoice = "flatter" | "sharper" | "unchanged";

export interface QuizCheckOptions {
  /** Where the notebook shows the temperature chart, for the hint. */
  chart?: string;
}

const CHOICES: readonly TemperatureChoice[] = ["flatter", "sharper", "unchanged"];

/** The classroom quiz: does a higher temperature make the output distribution flatter? */
export function checkTemperatureQuiz(
  choice: TemperatureChoice | undefined,
  options: QuizCheckOptions = {},
): CheckResult {
  const { chart = "the chart of the teacher's probabilities at several T" } = options;
  if (typeof chart !== "string" || chart.trim() === "") {
    throw new TypeError("checkTemperatureQuiz: options.chart must name where the chart is");
  }
  const id = "01-temperature-quiz";
  const look = `Look at ${chart}`;
  if (choice === undefined) {
    return checkFailed(
      id,
      "no answer yet",
      `${look}, then replace undefined with "flatter", "sharper" or "unchanged".`,
    );
  }
  const c = typeof choice === "string" ? choice.trim().toLowerCase() : choice;
  if (!(CHOICES as readonly unknown[]).includes(c)) {
    return checkFailed(
      id,
      `${describeKind(choice)} is not one of the choices`,
      `answer "flatter", "sharper" or "unchanged".`,
    );
  }
  if (c === "flatter") {
    return checkPassed(
      id,
      "right: dividing the logits by a larger T shrinks the gaps between them, so the " +
        "probabilities even out (towards 1/10 each); the ranking of the classes never changes",
    );
  }
  if (c === "sharper") {
    return checkFailed(
      id,
      `"sharper" is not what the chart shows`,
      `${look}: does the tallest bar grow or shrink as T rises? Dividing the logits by a larger ` +
        "T makes the differences between them smaller.",
    );
  }
  return checkFailed(
    id,
    `"unchanged" is only half right: the ranking of the classes stays the same, but the ` +
      "probabilities do change",
    `${look} and compare the bars at the smallest and the largest T.`,
  );
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"01-temperature-quiz", TemperatureChoice | undefined>({
  id: "01-temperature-quiz",
  notebook: "01",
  title: "Quiz: what does a higher temperature do?",
  check: "checkTemperatureQuiz",
  cell: {
    imports: ["answer", "checkTemperatureQuiz", "showResult"],
    needs: [],
    source: `// Quiz: does a higher temperature make the output distribution "flatter", "sharper" or
// "unchanged"? Move the slider in section 3.
// TODO: replace undefined with your choice.
const temperatureQuiz = answer("01-temperature-quiz", undefined);
await showResult(checkTemperatureQuiz(temperatureQuiz));
`,
  },
});
