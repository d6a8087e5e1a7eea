/**
 * Every notebook code cell is short enough to read at a glance (at most 25 lines), so a lesson's
 * own lines stay in view and presentation lives in lib/notebook and lib/charts.
 */
import assert from "node:assert/strict";

const MAX_LINES = 25;

interface Notebook {
  cells: { cell_type: string; id?: string; source: string | string[] }[];
}

/** "cell 7 (c07): 26 lines" for each code cell longer than `max` lines. */
function longCells(nb: Notebook, max = MAX_LINES): string[] {
  return nb.cells.flatMap((cell, i) => {
    if (cell.cell_type !== "code") return [];
    const text = [cell.source].flat().join("").replace(/\n+$/, "");
    const lines = text === "" ? 0 : text.split("\n").length;
    return lines > max ? [`cell ${i} (${cell.id ?? "no id"}): ${lines} lines`] : [];
  });
}

const folder = new URL("../notebooks/", import.meta.url);
const names = [...Deno.readDirSync(folder)].map((e) => e.name).filter((n) => n.endsWith(".ipynb"))
  .sort();

Deno.test(`every notebook code cell has at most ${MAX_LINES} lines`, async () => {
  assert.ok(names.length >= 6, `found ${names}`);
  const problems = [];
  for (const name of names) {
    const nb = JSON.parse(await Deno.readTextFile(new URL(name, folder))) as Notebook;
    assert.ok(nb.cells.some((c) => c.cell_type === "code"), `${name} has code cells`);
    problems.push(...longCells(nb).map((p) => `${name}, ${p}`));
  }
  assert.deepEqual(problems, [], `split these cells or move their presentation into lib/`);
});

Deno.test("a 26-line code cell is reported by index, id and length; markdown is not counted", () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}\n`);
  const nb: Notebook = {
    cells: [
      { cell_type: "markdown", id: "m", source: lines(40) },
      { cell_type: "code", id: "ok", source: lines(25) },
      { cell_type: "code", id: "long", source: lines(26).join("") },
    ],
  };
  assert.deepEqual(longCells(nb), ["cell 2 (long): 26 lines"]);
});
