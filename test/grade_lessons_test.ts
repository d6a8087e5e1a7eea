/**
 * The lesson notebooks through `deno task grade`: as committed (skeletons) every check fails with
 * a hint, and solved (the answer key written into the notebook, KD_SOLUTIONS never reaching the
 * sandbox) every check passes. Notebook 01 only by default, the quickest (about 15 s a run);
 * `deno task test test/grade_lessons_test.ts -- --all` grades all six both ways (.ci/run does).
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXERCISE_IDS, EXERCISES } from "../lib/exercises/exercises.ts";
import type { NotebookJson } from "../lib/exercises/cells.ts";
import { gradeFolder } from "../scripts/grade/grade.ts";
import { exerciseCell } from "../scripts/grade/gradebook.ts";
import { statusDetail, statusLabel } from "../scripts/grade/outcome.ts";
import { solvedNotebook } from "./fixtures/solved_notebook.ts";

const notebooksDir = fileURLToPath(new URL("../notebooks/", import.meta.url));
const all = Deno.args.includes("--all");

Deno.test({
  name: `${all ? "the six lesson notebooks grade" : "notebook 01 grades"} as failures with ` +
    "hints, and solved as passes",
  sanitizeResources: false,
  async fn() {
    const lessons = [...Deno.readDirSync(notebooksDir)].map((e) => e.name)
      .filter((n) => n.endsWith(".ipynb") && (all || n.startsWith("01_"))).sort();
    assert.equal(lessons.length, all ? 6 : 1);
    const folder = await Deno.makeTempDir({ prefix: "kd-grade-lessons-" });
    try {
      for (const name of lessons) {
        const text = await Deno.readTextFile(join(notebooksDir, name));
        await Deno.writeTextFile(join(folder, name), text);
        const solved = solvedNotebook(JSON.parse(text) as NotebookJson, name);
        await Deno.writeTextFile(join(folder, `solved-${name}`), JSON.stringify(solved));
      }
      const book = await gradeFolder(folder, {
        onProgress: (e) => {
          if (e.kind === "done") {
            console.log(
              `${e.row.name}: ${statusLabel(e.row.status)}, ${e.row.seconds.toFixed(1)} s`,
            );
          }
        },
      });
      assert.equal(book.rows.length, 2 * lessons.length);
      for (const row of book.rows) {
        const lesson = basename(row.name.replace(/^solved-/, ""));
        const expected = EXERCISE_IDS.filter((id) => EXERCISES[id].notebook === lesson.slice(0, 2));
        assert.equal(statusLabel(row.status), "ok", `${row.name}: ${statusDetail(row.status)}`);
        assert.deepEqual(row.exercises, expected, row.name);
        const solved = row.name.startsWith("solved-");
        assert.deepEqual(
          row.exercises.map((id) => exerciseCell(row, id)),
          expected.map(() => solved ? "pass" : "fail"),
          row.name,
        );
        if (!solved) {
          for (const id of expected) {
            assert.ok((row.verdicts.get(id)?.hint ?? "").length > 20, `${row.name} ${id}: a hint`);
          }
        }
      }
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
});
