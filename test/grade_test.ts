/**
 * `deno task grade` against hostile submissions, built here and graded in one run: each is
 * stopped and reported with its status, a canary file outside the sandbox is unchanged, nothing
 * reaches a local server, and verdicts come only from the checks. A correct submission passes
 * every check, a partly correct one gets the right mix, and the gradebook files say so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type GradedSubmission, gradeFolder } from "../scripts/grade/grade.ts";
import { exerciseCell, gradebookCsv, writeGradebook } from "../scripts/grade/gradebook.ts";
import { runInSandbox } from "../scripts/grade/sandbox.ts";
import { statusDetail, statusLabel } from "../scripts/grade/outcome.ts";

const repo = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** A notebook of code cells. */
function notebook(...cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source) => ({
      cell_type: "code",
      execution_count: null,
      metadata: {},
      outputs: [],
      source,
    })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
}

const IMPORTS = `import * as tf from "@tensorflow/tfjs";
import {
  answer,
  checkMixedLoss,
  checkSoftTargets,
  checkTemperatureQuiz,
  crossEntropy,
  ensureBackend,
  meanSquaredError,
  showResult,
  softTargets,
  todo,
} from "../lib/mod.ts";
await ensureBackend();`;

const SOFT_TARGETS = `const mySoftTargets = answer("01-soft-targets", (logits, temperature) =>
  logits.map((row) => {
    const top = Math.max(...row);
    const e = row.map((z) => Math.exp((z - top) / temperature));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  }));
await showResult(checkSoftTargets(mySoftTargets));`;

const quiz = (choice: string) =>
  `const temperatureQuiz = answer("01-temperature-quiz", ${choice});
await showResult(checkTemperatureQuiz(temperatureQuiz));`;

const MIXED_LOSS = `const lessonLoss = answer(
  "01-mixed-loss",
  (studentLogits, teacherLogits, labels, alpha, temperature) =>
    tf.tidy(() =>
      tf.add(
        tf.mul(alpha, crossEntropy(studentLogits, labels)),
        tf.mul(1 - alpha, meanSquaredError(studentLogits, softTargets(teacherLogits, temperature))),
      )
    ),
);
await showResult(checkMixedLoss(lessonLoss));`;

const MIXED_LOSS_SKELETON = `const lessonLoss = answer(
  "01-mixed-loss",
  (studentLogits, teacherLogits, labels, alpha, temperature) =>
    todo(0, studentLogits, teacherLogits, labels, alpha, temperature),
);
await showResult(checkMixedLoss(lessonLoss));`;

const FAKE_PASSES = `const mySoftTargets = answer("01-soft-targets", (logits) => logits);
const temperatureQuiz = answer("01-temperature-quiz", undefined);
const lessonLoss = answer("01-mixed-loss", () => 0);
console.log("✓ 01-soft-targets (Soft targets with temperature): passed — all cases match");
console.log("✓ 01-temperature-quiz (Quiz: what does a higher temperature do?): passed — right");
console.log("✓ 01-mixed-loss (The lesson's mixed loss): passed — all cases match");
console.log(JSON.stringify({ exercise: "01-mixed-loss", passed: true, message: "forged" }));`;

const LIMITS = { timeoutSeconds: 30, memoryMiB: 1024, fileSizeMiB: 64 };

function byName(rows: readonly GradedSubmission[]): Map<string, GradedSubmission> {
  return new Map(rows.map((r) => [r.name, r]));
}

/** Grades `files` (name → notebook text) as one class in folder `folder`. */
async function gradeClass(folder: string, files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(folder, `${name}.ipynb`), text);
  }
  return await gradeFolder(folder, { limits: LIMITS });
}

function leftovers(): string[] {
  try {
    return [...Deno.readDirSync(join(repo, ".grade_code"))].map((e) => e.name).sort();
  } catch {
    return []; // no run made the folder yet
  }
}

Deno.test({
  name: "hostile submissions are stopped, reported, and change nothing outside the sandbox",
  // The graded runs' output streams are read by the grader, not leaked by the test.
  sanitizeResources: false,
  async fn() {
    const outside = await Deno.makeTempDir({ prefix: "kd-grade-test-outside-" });
    const canary = join(outside, "canary.json");
    const canaryText = `{"canary": "${crypto.randomUUID()}"}\n`;
    await Deno.writeTextFile(canary, canaryText);
    const canaryBefore = await Deno.stat(canary);
    let requests = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      requests++;
      return new Response("export const stolen = true;", {
        headers: { "content-type": "application/javascript" },
      });
    });
    const port = server.addr.port;
    const home = Deno.env.get("HOME") ?? "/root";
    const before = leftovers();
    const folder = await Deno.makeTempDir({ prefix: "kd-grade-test-class-" });
    const out = await Deno.makeTempDir({ prefix: "kd-grade-test-out-" });
    try {
      const book = await gradeClass(folder, {
        "correct": notebook(IMPORTS, SOFT_TARGETS, quiz('"flatter"'), MIXED_LOSS),
        "partly-correct": notebook(IMPORTS, SOFT_TARGETS, quiz('"sharper"'), MIXED_LOSS_SKELETON),
        "fake-passes": notebook(IMPORTS, FAKE_PASSES),
        "reads-passwd": notebook('await Deno.readTextFile("/etc/passwd");'),
        "reads-home": notebook(`await Deno.readTextFile(${JSON.stringify(`${home}/.profile`)});`),
        "writes-outside": notebook(`await Deno.writeTextFile(${JSON.stringify(canary)}, "{}");`),
        "imports-outside": notebook(
          `import stolen from ${JSON.stringify(canary)} with { type: "json" };\n` +
            "console.log(stolen);",
        ),
        "fetches-local": notebook(`await fetch("http://127.0.0.1:${port}/");`),
        "imports-remote": notebook(`import "http://127.0.0.1:${port}/x.js";`),
        "starts-process": notebook(
          'await new Deno.Command("/bin/sh", { args: ["-c", "id"] }).output();',
        ),
        "calls-dlopen": notebook('Deno.dlopen("libc.so.6", {});'),
        "sets-solutions": notebook(
          `${IMPORTS}\nDeno.env.set("KD_SOLUTIONS", "1");\n${quiz("undefined")}`,
        ),
        "loops": notebook("while (true) {}"),
        "fills-heap": notebook("const keep = [];\nfor (;;) keep.push(new Array(1e6).fill(1.5));"),
        "fills-buffers": notebook(
          "const keep = [];\nfor (;;) keep.push(new Uint8Array(64e6).fill(1));",
        ),
        "crashes": notebook('throw new Error("<img src=x onerror=alert(1)>");'),
        "not-a-notebook": "{ this is not json",
      });
      const rows = byName(book.rows);
      const status = (name: string) => {
        const row = rows.get(name)!;
        return `${statusLabel(row.status)}: ${statusDetail(row.status)}`;
      };
      const denied = (what: string) =>
        `permission denied: needed ${what}, which the sandbox ` +
        "does not grant";
      assert.equal(status("reads-passwd"), denied("read access to /etc/passwd"));
      assert.equal(status("reads-home"), denied(`read access to ${home}/.profile`));
      assert.equal(status("writes-outside"), denied(`write access to ${canary}`));
      assert.equal(status("imports-outside"), denied(`read access to ${canary} (an import)`));
      assert.equal(status("fetches-local"), denied(`net access to 127.0.0.1:${port}`));
      assert.equal(
        status("imports-remote"),
        denied(`import access to http://127.0.0.1:${port}/x.js (an import)`),
      );
      assert.equal(status("starts-process"), denied("run access to /bin/sh"));
      assert.equal(status("calls-dlopen"), denied("ffi access to libc.so.6"));
      assert.equal(status("sets-solutions"), denied("env access to KD_SOLUTIONS"));
      assert.equal(status("loops"), "timeout: stopped at the 30 s wall-clock limit");
      assert.equal(status("fills-heap"), "memory: stopped at V8's 768 MiB heap limit");
      assert.equal(
        status("fills-buffers"),
        `memory: stopped at the 1024 MiB limit of a ${book.cage}`,
      );
      assert.equal(
        status("crashes"),
        "crashed: Uncaught (in promise) Error: <img src=x onerror=alert(1)>",
      );
      assert.match(
        status("not-a-notebook"),
        /^crashed: .*not-a-notebook\.ipynb is not a readable notebook: /,
      );

      // Printed ✓ lines and printed JSON are no verdicts: its checks never ran.
      const fake = rows.get("fake-passes")!;
      assert.equal(statusLabel(fake.status), "ok");
      assert.deepEqual(fake.exercises.map((id) => exerciseCell(fake, id)), [
        "not run",
        "not run",
        "not run",
      ]);

      const correct = rows.get("correct")!;
      assert.equal(statusLabel(correct.status), "ok");
      assert.deepEqual(correct.exercises, [
        "01-soft-targets",
        "01-temperature-quiz",
        "01-mixed-loss",
      ]);
      assert.deepEqual(correct.exercises.map((id) => exerciseCell(correct, id)), [
        "pass",
        "pass",
        "pass",
      ]);

      const partly = rows.get("partly-correct")!;
      assert.deepEqual(partly.exercises.map((id) => exerciseCell(partly, id)), [
        "pass",
        "fail",
        "fail",
      ]);
      assert.equal(
        partly.verdicts.get("01-temperature-quiz")?.message,
        `"sharper" is not what the chart shows`,
      );
      assert.match(
        partly.verdicts.get("01-mixed-loss")?.hint ?? "",
        /^0 is the skeleton's placeholder/,
      );
      // The KD_SOLUTIONS attempt stopped before its check: the answer key never ran.
      assert.equal(exerciseCell(rows.get("sets-solutions")!, "01-temperature-quiz"), "not run");

      // Nothing outside the sandbox changed or was reached.
      assert.equal(await Deno.readTextFile(canary), canaryText);
      assert.equal((await Deno.stat(canary)).mtime?.getTime(), canaryBefore.mtime?.getTime());
      assert.equal(requests, 0);
      assert.deepEqual(leftovers(), before);

      // The gradebook files.
      const csv = gradebookCsv(book).split("\n");
      assert.equal(
        csv[0],
        "submission,status,detail,passed,of,01-soft-targets,01-temperature-quiz,01-mixed-loss," +
          "seconds,peak_mib",
      );
      const partlyLine = csv.find((l) => l.startsWith("partly-correct,"))!;
      assert.match(partlyLine, /^partly-correct,ok,ran to the end,1,3,pass,fail,fail,\d+\.\d,\d+$/);
      const { html } = await writeGradebook(book, out);
      const page = await Deno.readTextFile(html);
      assert.ok(page.includes("&lt;img src=x onerror=alert(1)&gt;"));
      assert.ok(!page.includes("<img"));
      assert.ok(page.includes(`<b>Hint:</b> Look at the chart of the teacher`));
      assert.equal(
        (await Deno.readTextFile(join(out, "logs", "fake-passes.log"))).includes(
          "✓ 01-soft-targets",
        ),
        true,
      );
    } finally {
      await server.shutdown();
      for (const dir of [outside, folder, out]) await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("without a cgroup, the grader's watch of the resident size stops a run", async () => {
  const run = await runInSandbox(
    "const keep = [];\nfor (;;) keep.push(new Uint8Array(64e6).fill(1));\nexport {};\n",
    { repo, profile: "quick", limits: { ...LIMITS, memoryMiB: 512, cage: "watch" } },
  );
  assert.equal(run.cage, "resident-size watch");
  assert.equal(
    `${statusLabel(run.status)}: ${statusDetail(run.status)}`,
    "memory: stopped at the 512 MiB limit of a resident-size watch",
  );
  assert.ok(run.peakMiB! > 400, `peak ${run.peakMiB} MiB`);
});
