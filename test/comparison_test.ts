import assert from "node:assert/strict";
import { printed } from "./fixtures/printed.ts";
import { compareWithBaseline, showComparison } from "../lib/notebook/comparison.ts";

const runs = (...accuracies: number[]) => ({
  runs: accuracies.map((finalTestAccuracy) => ({ finalTestAccuracy })),
  accuracy: {
    mean: accuracies.reduce((a, b) => a + b) / accuracies.length,
    sd: 0.01,
    n: accuracies.length,
  },
});

/** What the call prints outside the kernel: chart summary, text table, the sentences. */
Deno.test("showComparison: table with every seed, change vs baseline, verdict per method", async () => {
  const rows = [
    { name: "teacher", result: 0.75, source: "75.10 %" },
    { name: "CE only", result: runs(0.70, 0.72, 0.71), source: "69.86 %" },
    { name: "CE + KD", result: runs(0.72, 0.73, 0.74) },
    { name: "CE + cosine", result: runs(0.70, 0.71, 0.72) },
  ];
  const options = { title: "Students", baseline: "CE only", notCompared: ["teacher"] };
  const out = await printed(() => showComparison(rows, { ...options, seeds: [1, 2, 3] }));
  const methods = compareWithBaseline(rows, options);
  // Means 0.71 and 0.73, sd 0.01 each over 3 seeds: SE = √(2 · 0.0001 / 3) = 0.8165 pp.
  assert.deepEqual(methods.map((m) => m.name), ["CE + KD", "CE + cosine"]);
  assert.ok(Math.abs(methods[0].difference.difference - 0.02) < 1e-12);
  assert.ok(Math.abs(methods[0].difference.standardError - Math.sqrt(0.0002 / 3)) < 1e-12);
  assert.equal(
    methods[0].sentence,
    "CE + KD: +2.00 pp vs CE only; two standard errors are 1.63 pp, so the gain is beyond the noise.",
  );
  assert.match(out, /^\[chart\] Test accuracy \(mean ± sd over seeds\)/m);
  assert.match(out, /model +ours +per seed \(1, 2, 3\) +vs CE only +source/);
  assert.match(out, /teacher +75\.00 % +75\.10 %/);
  assert.match(
    out,
    /CE only +71\.00 ± 1\.00 % \(3 seeds\) +70\.00 %, 72\.00 %, 71\.00 % +69\.86 %$/m,
  );
  assert.match(out, /CE \+ KD .* 72\.00 %, 73\.00 %, 74\.00 % +\+2\.00 pp +–/);
  assert.match(out, /^- CE \+ cosine: \+0\.00 pp vs CE only; .* within the noise\.$/m);
});

Deno.test("showComparison names a missing baseline and the rows it has", async () => {
  await assert.rejects(
    showComparison([{ name: "a", result: 0.5 }], { title: "t", baseline: "b" }),
    { message: 'the baseline "b" is not one of the compared rows (a)' },
  );
});

Deno.test("showComparison without a baseline: a results list, no change column, no sentences", async () => {
  const out = await printed(() =>
    showComparison([
      { name: "teacher", result: 0.98, source: "98.28 %" },
      { name: "  + 5 epochs", result: runs(0.9, 0.92) },
    ], { title: "Results" })
  );
  assert.deepEqual(out.split("\n").map((l) => l.replace(/ +/g, " ").trimEnd()), [
    "[chart] Test accuracy (mean ± sd over seeds) (bar+rule+text, 2 rows)",
    "Results",
    "model ours per seed source",
    "------------ ------------------------ ---------------- -------",
    "teacher 98.00 % 98.28 %",
    " + 5 epochs 91.00 ± 1.00 % (2 seeds) 90.00 %, 92.00 % –",
  ]);
});
