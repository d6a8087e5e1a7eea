/**
 * `deno task exercise-cells`: writes each exercise's skeleton cell, from its module
 * (lib/exercises/<id>/mod.ts, `cell.source`, the one source), into its notebook in place of the
 * cell that calls `answer("<id>", …)`, leaving every other byte as it was.
 * test/exercise_cells_test.ts fails while a notebook's cell is not current.
 */
import { join } from "node:path";
import { writeExerciseCells } from "../../lib/exercises/cells.ts";

const folder = new URL("../../notebooks/", import.meta.url).pathname;
for (const name of [...Deno.readDirSync(folder)].map((e) => e.name).sort()) {
  const match = /^(\d\d)_.*\.ipynb$/.exec(name);
  if (!match) continue;
  const path = join(folder, name);
  const { text, changed } = writeExerciseCells(await Deno.readTextFile(path), match[1]);
  if (changed.length) await Deno.writeTextFile(path, text);
  console.log(`${name}: ${changed.length ? `rewrote ${changed.join(", ")}` : "current"}`);
}
