/**
 * `deno task grade-bench [--count 30] [--notebook 01]`: how long grading a class takes — `count`
 * copies of one lesson notebook as committed, graded in the sandbox one after another, as
 * `deno task grade` does. A measurement, not a test: it prints the total, the time per
 * submission and the machine, and leaves the gradebook in build/grade/bench/.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gradeFolder } from "./grade.ts";
import { writeGradebook } from "./gradebook.ts";
import { statusLabel } from "./outcome.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "30" },
    notebook: { type: "string", default: "01" },
  },
});
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) {
  throw new RangeError(`--count ${values.count}: give a whole number ≥ 1`);
}
const repo = new URL("../../", import.meta.url).pathname;
const notebooks = join(repo, "notebooks");
const lesson = [...Deno.readDirSync(notebooks)].map((e) => e.name)
  .find((n) => n.startsWith(`${values.notebook}_`) && n.endsWith(".ipynb"));
if (!lesson) {
  throw new Error(`--notebook ${values.notebook}: no notebooks/${values.notebook}_*.ipynb`);
}

const folder = await Deno.makeTempDir({ prefix: "kd-grade-bench-" });
const text = await Deno.readTextFile(join(notebooks, lesson));
for (let i = 1; i <= count; i++) {
  await Deno.writeTextFile(join(folder, `student-${String(i).padStart(2, "0")}.ipynb`), text);
}
const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
  .match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown CPU";
console.log(
  `grading ${count} copies of ${lesson} on ${navigator.hardwareConcurrency} cores (${cpu})`,
);
const seconds: number[] = [];
const book = await gradeFolder(folder, {
  onProgress: (e) => {
    if (e.kind !== "done") return;
    seconds.push(e.row.seconds);
    console.log(
      `[${e.index}/${e.total}] ${statusLabel(e.row.status)} ${e.row.seconds.toFixed(1)} s`,
    );
  },
});
await writeGradebook(book, join(repo, "build", "grade", "bench"));
await Deno.remove(folder, { recursive: true });
const sorted = [...seconds].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const ok = book.rows.filter((r) => r.status.kind === "ok").length;
console.log(
  `${count} submissions of ${lesson}: ${(book.seconds / 60).toFixed(1)} min in all, ` +
    `median ${median.toFixed(1)} s (${sorted[0].toFixed(1)}–${
      sorted.at(-1)!.toFixed(1)
    } s) each, ` +
    `${ok} ok; profile ${book.profile}, memory cage ${book.cage}`,
);
