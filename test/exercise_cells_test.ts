/**
 * Each notebook's exercise cells are exactly the skeleton cells of lib/exercises/<id>/mod.ts,
 * which the exercise tests grade: the test reads the real notebooks, and fails on a changed cell.
 */
import assert from "node:assert/strict";
import {
  exerciseCellProblems,
  type NotebookJson,
  writeExerciseCells,
} from "../lib/exercises/cells.ts";

const folder = new URL("../notebooks/", import.meta.url);
const notebooks = [...Deno.readDirSync(folder)]
  .map((e) => e.name)
  .filter((n) => /^\d\d_.*\.ipynb$/.test(n))
  .sort();

async function read(name: string): Promise<NotebookJson> {
  return JSON.parse(await Deno.readTextFile(new URL(name, folder)));
}

Deno.test("every notebook's exercise cells equal their skeletons", async () => {
  assert.ok(notebooks.length >= 5, `found ${notebooks}`);
  for (const name of notebooks) {
    assert.deepEqual(exerciseCellProblems(await read(name), name.slice(0, 2)), [], name);
  }
});

Deno.test("a changed, missing or doubled exercise cell is reported", async () => {
  const nb = await read(notebooks.find((n) => n.startsWith("01"))!);
  const index = nb.cells.findIndex((c) => [c.source].flat().join("").includes('"01-mixed-loss"'));
  assert.ok(index > 0);
  const cell = nb.cells[index];
  const original = [cell.source].flat().join("");

  cell.source = original.replace("TODO: alpha", "TODO: α");
  const changed = exerciseCellProblems(nb, "01");
  assert.equal(changed.length, 1);
  assert.match(
    changed[0],
    /^01-mixed-loss: the notebook's cell differs from the skeleton in lib\/exercises\/01-mixed-loss\/mod\.ts, line 6: the notebook has " {4}\/\/ TODO: α · CE/,
  );

  cell.source = original.split("\n").slice(0, -1).join("\n");
  assert.match(exerciseCellProblems(nb, "01")[0], /line 11: the notebook has "\(no line\)"/);

  nb.cells.splice(index, 1);
  assert.deepEqual(exerciseCellProblems(nb, "01"), [
    '01-mixed-loss: 0 cells call answer("01-mixed-loss", …); expected one',
  ]);
  nb.cells.push({ cell_type: "code", source: original }, { cell_type: "code", source: original });
  assert.match(exerciseCellProblems(nb, "01")[0], /2 cells call/);
  assert.deepEqual(
    exerciseCellProblems({ cells: [{ cell_type: "code", source: original }] }, "02"),
    [
      "01-mixed-loss belongs to notebook 01, not 02",
      '02-cifar-models: 0 cells call answer("02-cifar-models", …); expected one',
      '02-cifar-training: 0 cells call answer("02-cifar-training", …); expected one',
    ],
  );
});

Deno.test("writeExerciseCells writes a stale skeleton back byte for byte, and nothing else", async () => {
  const name = notebooks.find((n) => n.startsWith("01"))!;
  const original = await Deno.readTextFile(new URL(name, folder));
  assert.deepEqual(writeExerciseCells(original, "01"), { text: original, changed: [] });
  const stale = original.replace('"    // TODO: alpha · CE(', '"    // TODO: α · CE(');
  assert.notEqual(stale, original);
  assert.match(exerciseCellProblems(JSON.parse(stale), "01")[0], /deno task exercise-cells/);
  assert.deepEqual(writeExerciseCells(stale, "01"), { text: original, changed: ["01-mixed-loss"] });
  const missing = JSON.stringify({ cells: [] });
  assert.throws(() => writeExerciseCells(missing, "01"), {
    message: '01-soft-targets: 0 cells call answer("01-soft-targets", …); add one by hand',
  });
});
