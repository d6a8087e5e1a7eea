/**
 * Comparing a notebook's exercise cells with the exercise modules' skeleton cells, so the text a
 * notebook ships and the skeleton the tests grade cannot drift apart.
 */
import { EXERCISE_IDS, EXERCISES } from "./exercises.ts";

/** The part of the Jupyter notebook format this reads. */
export interface NotebookJson {
  cells: { cell_type: string; source: string | string[] }[];
}

const text = (source: string | string[]) => Array.isArray(source) ? source.join("") : source;

/** The first line where two texts differ (1-based), both lines shown. */
function firstDifference(got: string, want: string): string {
  const a = got.split("\n");
  const b = want.split("\n");
  const i = a.findIndex((line, k) => line !== b[k]);
  const at = i < 0 ? a.length : i;
  return `line ${at + 1}: the notebook has ${JSON.stringify(a[at] ?? "(no line)")}, the ` +
    `skeleton ${JSON.stringify(b[at] ?? "(no line)")}`;
}

/**
 * What is wrong with notebook `notebook`'s exercise cells (e.g. "01"): a cell that differs from
 * its exercise's skeleton cell (a trailing newline aside), an exercise of that notebook with no
 * cell or with several, or a cell calling `answer` for an exercise of another notebook. Empty
 * when they all match.
 */
export function exerciseCellProblems(nb: NotebookJson, notebook: string): string[] {
  const problems: string[] = [];
  const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => text(c.source));
  for (const id of EXERCISE_IDS) {
    const e = EXERCISES[id];
    const cells = code.filter((s) => new RegExp(`answer\\(\\s*"${id}"`).test(s));
    if (e.notebook !== notebook) {
      if (cells.length) problems.push(`${id} belongs to notebook ${e.notebook}, not ${notebook}`);
      continue;
    }
    if (cells.length !== 1) {
      problems.push(`${id}: ${cells.length} cells call answer("${id}", …); expected one`);
      continue;
    }
    const [got, want] = [cells[0], e.cell.source].map((s) => s.replace(/\n$/, ""));
    if (got !== want) {
      problems.push(
        `${id}: the notebook's cell differs from the skeleton in lib/exercises/${id}/mod.ts, ` +
          `${firstDifference(got, want)}; \`deno task exercise-cells\` writes the skeleton in`,
      );
    }
  }
  return problems;
}

/** A cell source as nbformat stores it: lines, each but the last ending in a newline. */
function sourceLines(source: string): string[] {
  const lines = source.replace(/\n$/, "").split("\n");
  return lines.map((line, i) => (i < lines.length - 1 ? `${line}\n` : line));
}

/** A `"source": [...]` array as the notebooks lay it out (cells sit three spaces deep). */
function sourceJson(lines: readonly string[]): string {
  return `"source": ${JSON.stringify(lines, null, 1).replaceAll("\n", "\n   ")}`;
}

/**
 * The notebook's text with each of its exercise cells' sources replaced by the skeleton of the
 * exercise module, every other byte as it was (outputs included), and the ids it changed. A
 * notebook must already hold one cell per exercise: where it goes is the lesson's decision.
 */
export function writeExerciseCells(
  notebookText: string,
  notebook: string,
): { text: string; changed: string[] } {
  const nb = JSON.parse(notebookText) as NotebookJson;
  let out = notebookText;
  const changed: string[] = [];
  for (const id of EXERCISE_IDS.filter((id) => EXERCISES[id].notebook === notebook)) {
    const cells = nb.cells.filter((c) =>
      c.cell_type === "code" && new RegExp(`answer\\(\\s*"${id}"`).test(text(c.source))
    );
    if (cells.length !== 1) {
      throw new Error(`${id}: ${cells.length} cells call answer("${id}", …); add one by hand`);
    }
    const old = sourceJson(sourceLines(text(cells[0].source)));
    const want = sourceJson(sourceLines(EXERCISES[id].cell.source));
    if (old === want) continue;
    if (out.split(old).length !== 2) {
      throw new Error(`${id}: the cell's source is not laid out as nbformat writes it`);
    }
    out = out.replace(old, () => want);
    changed.push(id);
  }
  return { text: out, changed };
}
