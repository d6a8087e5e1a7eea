/**
 * Notebook 01's single teacher run read against its recipe's seed-to-seed spread: the recipe over
 * other seeds in this library and in PyTorch on the lesson's code path, with PyTorch's two
 * students (bench/lesson_a_seeds.json), as one comparison whose sentences the numbers write.
 */
import { describeDifference, differenceFrom, meanSd, type SeededRuns } from "../stats.ts";
import { type ComparedRow, showComparison } from "./comparison.ts";
import { percent, showMarkdown } from "./display.ts";
import { readSeedSpread, type SeedSpread } from "./seed_spread.ts";

type Seeded = SeededRuns<{ readonly finalTestAccuracy: number }>;
type SpreadRow = { name: string; result: Seeded };

const row = (name: string, accuracies: number[]): SpreadRow => ({
  name,
  result: {
    runs: accuracies.map((finalTestAccuracy) => ({ finalTestAccuracy })),
    accuracy: meanSd(accuracies),
  },
});

/** The file's rows by role; a side the file lacks is absent. */
function spreadRows(spread: SeedSpread) {
  const { ours, pytorch } = spread;
  const seeds = (runs: { seed: number }[]) => runs.map((r) => r.seed).join(", ");
  const p = pytorch?.runs.length ? pytorch.runs : undefined;
  return {
    ours: ours?.runs.length
      ? row(`teacher, ours (seeds ${seeds(ours.runs)})`, ours.runs.map((r) => r.test.at(-1)!))
      : undefined,
    torch: p && {
      teacher: row(`teacher, PyTorch (seeds ${seeds(p)})`, p.map((r) => r.teacher)),
      withTeacher: row("student with teacher, PyTorch", p.map((r) => r.studentWithTeacher)),
      alone: row("student alone, PyTorch", p.map((r) => r.studentAlone)),
    },
  };
}

/** The rows in table order. */
const inOrder = ({ ours, torch }: ReturnType<typeof spreadRows>): SpreadRow[] => [
  ...(ours ? [ours] : []),
  ...(torch ? [torch.teacher, torch.withTeacher, torch.alone] : []),
];

/** The rows the file holds: our teachers, PyTorch's teachers and its two students. */
export function seedSpreadRows(spread: SeedSpread): ComparedRow[] {
  return inOrder(spreadRows(spread));
}

/** "a: +0.10 pp vs b; two standard errors are …": `a` against `b`, as the comparisons word it. */
const versus = (a: SpreadRow, b: SpreadRow) =>
  describeDifference(a.name, b.name, differenceFrom(a.result.accuracy, b.result.accuracy));

/**
 * Shows this run's teacher accuracy beside the recorded seeds (chart and table), then says how
 * far this run is from our other seeds, whether our recipe's mean differs from PyTorch's beyond
 * two standard errors, and the same for PyTorch's student with and without the teacher.
 */
export async function showTeacherSeedSpread(
  thisRun: number,
  spread?: SeedSpread,
): Promise<void> {
  const byRole = spreadRows(spread ?? await readSeedSpread());
  const rows = inOrder(byRole);
  if (rows.length === 0) {
    await showMarkdown(
      "No seed runs are recorded yet: `scripts/teachers/teacher_seeds.ts` and " +
        "`bench/lesson_a_reference.py` write them to `bench/lesson_a_seeds.json`.",
    );
    return;
  }
  await showComparison([{ name: "teacher, this notebook", result: thisRun }, ...rows], {
    title: "Notebook 01's recipe over seeds",
    domain: [0.95, 1],
  });
  const { ours, torch } = byRole;
  const sentences: string[] = [];
  if (ours && ours.result.accuracy.n > 1) {
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
  if (ours && torch) sentences.push(versus(ours, torch.teacher));
  if (torch) sentences.push(versus(torch.withTeacher, torch.alone));
  await showMarkdown(sentences.map((s) => `- ${s}`).join("\n"));
}
