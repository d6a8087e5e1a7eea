/**
 * Notebook 01's single teacher run read against its recipe's seed-to-seed spread: the recipe over
 * other seeds in this library and in PyTorch on the lesson's code path, with PyTorch's two
 * students (bench/lesson_a_seeds.json), as one comparison whose sentences the numbers write.
 */
import { describeDifference, differenceFrom, meanSd } from "../stats.ts";
import { type ComparedRow, compareWithBaseline, showComparison } from "./comparison.ts";
import { percent, showMarkdown } from "./display.ts";
import { readSeedSpread, type SeedSpread } from "./seed_spread.ts";

const runsOf = (accuracies: number[]) => ({
  runs: accuracies.map((finalTestAccuracy) => ({ finalTestAccuracy })),
  accuracy: meanSd(accuracies),
});

/** The rows the file holds: our teachers, PyTorch's teachers and its two students. */
export function seedSpreadRows(spread: SeedSpread): ComparedRow[] {
  const rows: ComparedRow[] = [];
  const { ours, pytorch } = spread;
  if (ours?.runs.length) {
    const seeds = ours.runs.map((r) => r.seed).join(", ");
    rows.push({
      name: `teacher, ours (seeds ${seeds})`,
      result: runsOf(ours.runs.map((r) => r.test.at(-1)!)),
    });
  }
  if (pytorch?.runs.length) {
    const seeds = pytorch.runs.map((r) => r.seed).join(", ");
    const p = pytorch.runs;
    rows.push(
      { name: `teacher, PyTorch (seeds ${seeds})`, result: runsOf(p.map((r) => r.teacher)) },
      { name: "student with teacher, PyTorch", result: runsOf(p.map((r) => r.studentWithTeacher)) },
      { name: "student alone, PyTorch", result: runsOf(p.map((r) => r.studentAlone)) },
    );
  }
  return rows;
}

/**
 * Shows this run's teacher accuracy beside the recorded seeds (chart and table), then says how
 * far this run is from our other seeds, whether our recipe's mean differs from PyTorch's beyond
 * two standard errors, and the same for PyTorch's student with and without the teacher.
 */
export async function showTeacherSeedSpread(
  thisRun: number,
  spread?: SeedSpread,
): Promise<void> {
  const rows = seedSpreadRows(spread ?? await readSeedSpread());
  if (rows.length === 0) {
    await showMarkdown(
      "No seed runs are recorded yet: `scripts/teachers/teacher_seeds.ts` and " +
        "`bench/lesson_a_reference.py` write them to `bench/lesson_a_seeds.json`.",
    );
    return;
  }
  const here = "teacher, this notebook";
  const find = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
  const ours = find("teacher, ours");
  const torch = find("teacher, PyTorch");
  await showComparison([{ name: here, result: thisRun }, ...rows], {
    title: "Notebook 01's recipe over seeds",
    domain: [0.95, 1],
  });
  const sentences: string[] = [];
  if (ours && typeof ours.result !== "number") {
    const { mean, sd, n } = ours.result.accuracy;
    const z = (thisRun - mean) / sd;
    sentences.push(
      `This notebook's teacher, ${percent(thisRun)}, is ${Math.abs(z).toFixed(1)} standard ` +
        `deviations ${z >= 0 ? "above" : "below"} the mean of our ${n} other seeds ` +
        `(${(100 * mean).toFixed(2)} ± ${(100 * sd).toFixed(2)} %): ${
          Math.abs(z) <= 2 ? "an ordinary draw of the recipe" : "an unusual draw"
        }.`,
    );
  }
  if (ours && torch && typeof ours.result !== "number" && typeof torch.result !== "number") {
    const d = differenceFrom(ours.result.accuracy, torch.result.accuracy);
    sentences.push(describeDifference(ours.name, torch.name, d));
  }
  if (torch) {
    const [m] = compareWithBaseline(rows, {
      baseline: "student alone, PyTorch",
      notCompared: rows.map((r) => r.name).filter((n) => !n.startsWith("student with")),
    });
    sentences.push(m.sentence);
  }
  await showMarkdown(sentences.map((s) => `- ${s}`).join("\n"));
}
