/** Notebook 01's teacher against the recorded seeds: the rows and the sentences the numbers write. */
import assert from "node:assert/strict";
import { printed } from "./fixtures/printed.ts";
import { seedSpreadRows, showTeacherSeedSpread } from "../lib/notebook/teacher_seeds.ts";
import type { SeedSpread } from "../lib/notebook/seed_spread.ts";

const ourRun = (seed: number, final: number) => ({
  seed,
  test: [0.9, final],
  train: [0.9, 0.99],
  minutes: 8,
});
const torchRun = (seed: number, teacher: number, withTeacher: number, alone: number) => ({
  seed,
  teacher,
  studentWithTeacher: withTeacher,
  studentAlone: alone,
  minutes: 3,
});
const spread: SeedSpread = {
  ours: {
    date: "2026-12-07",
    engine: "wasm",
    runs: [ourRun(1, 0.99), ourRun(2, 0.98), ourRun(3, 0.985)],
  },
  pytorch: {
    date: "2026-12-07",
    engine: "torch 2.13.0, 2 threads",
    runs: [
      torchRun(0, 0.983, 0.975, 0.979),
      torchRun(1, 0.986, 0.977, 0.98),
      torchRun(2, 0.988, 0.976, 0.981),
    ],
  },
};

Deno.test("seedSpreadRows: our final test accuracies, PyTorch's teachers and both students", () => {
  const rows = seedSpreadRows(spread);
  assert.deepEqual(rows.map((r) => r.name), [
    "teacher, ours (seeds 1, 2, 3)",
    "teacher, PyTorch (seeds 0, 1, 2)",
    "student with teacher, PyTorch",
    "student alone, PyTorch",
  ]);
  const ours = rows[0].result;
  assert.ok(typeof ours !== "number");
  assert.deepEqual(ours.runs.map((r) => r.finalTestAccuracy), [0.99, 0.98, 0.985]);
  assert.deepEqual(seedSpreadRows({}), []);
});

Deno.test("showTeacherSeedSpread writes where this run lies and both verdicts", async () => {
  const text = await printed(() => showTeacherSeedSpread(0.9895, spread));
  // Ours: mean 98.50 %, sd 0.50 %, so 98.95 % is (0.9895 − 0.985) / 0.005 = 0.9 sd above.
  assert.match(
    text,
    /This notebook's teacher, 98\.95 %, is 0\.9 standard deviations above the mean of our 3 other seeds \(98\.50 ± 0\.50 %\): an ordinary draw of the recipe\./,
  );
  // Ours − PyTorch = 0.985 − 0.985667 = −0.07 pp; 2·√(0.005²/3 + 0.002517²/3) = 0.65 pp.
  assert.match(
    text,
    /teacher, ours \(seeds 1, 2, 3\): −0\.07 pp vs teacher, PyTorch \(seeds 0, 1, 2\); two standard errors are 0\.65 pp, so the loss is within the noise\./,
  );
  // PyTorch's students: 0.976 − 0.980 = −0.40 pp; 2·√(2 · 0.001²/3) = 0.16 pp.
  assert.match(
    text,
    /student with teacher, PyTorch: −0\.40 pp vs student alone, PyTorch; two standard errors are 0\.16 pp, so the loss is beyond the noise\./,
  );
});

Deno.test("showTeacherSeedSpread without recorded seeds says which scripts write them", async () => {
  const text = await printed(() => showTeacherSeedSpread(0.99, {}));
  assert.match(text, /No seed runs are recorded yet: `scripts\/teachers\/teacher_seeds\.ts`/);
});

Deno.test("with one seed of ours there is no spread, so no distance in standard deviations", async () => {
  const text = await printed(() =>
    showTeacherSeedSpread(0.99, { ours: { ...spread.ours!, runs: [ourRun(1, 0.98)] } })
  );
  assert.match(text, /teacher, ours \(seeds 1\) +98\.00 %/);
  assert.doesNotMatch(text, /standard deviations/);
});
