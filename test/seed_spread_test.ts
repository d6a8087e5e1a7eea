/**
 * bench/lesson_a_seeds.json, written by scripts/teachers/teacher_seeds.ts (ours) and
 * bench/lesson_a_reference.py (PyTorch), read by readSeedSpread for notebook 01.
 */
import assert from "node:assert/strict";
import { readSeedSpread, recordOurSeeds } from "../lib/notebook/seed_spread.ts";

const pytorch = {
  date: "2026-11-24",
  engine: "torch 1.13.0, 2 threads",
  runs: [{ seed: 0, teacher: 0.9833, studentWithTeacher: 0.977, studentAlone: 0.978, minutes: 9 }],
};
const ours = {
  date: "2026-12-07",
  engine: "wasm (SIMD, 1 thread + native oneDNN 2.6.3, 2 threads)",
  runs: [{ seed: 1, test: [0.97, 0.9832], train: [0.95, 0.98], minutes: 2.5 }],
};

async function inTemp(body: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(`${dir}/seeds.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("no file yet reads as no runs", () =>
  inTemp(async (path) => {
    assert.deepEqual(await readSeedSpread(path), {});
  }));

Deno.test("our side is written beside PyTorch's and read back as written", () =>
  inTemp(async (path) => {
    await Deno.writeTextFile(path, JSON.stringify({ pytorch }));
    await recordOurSeeds(ours, path);
    assert.deepEqual(await readSeedSpread(path), { pytorch, ours });
    // A second run replaces our side only.
    const again = { ...ours, runs: [{ ...ours.runs[0], seed: 2 }] };
    await recordOurSeeds(again, path);
    assert.deepEqual(await readSeedSpread(path), { pytorch, ours: again });
  }));

Deno.test("a malformed file is refused with its path, the problem and the fix", () =>
  inTemp(async (path) => {
    await Deno.writeTextFile(path, "{ not json");
    await assert.rejects(readSeedSpread(path), (e: Error) => {
      assert.match(e.message, new RegExp(`^${path}: not JSON`));
      assert.match(
        e.message,
        /rerun scripts\/teachers\/teacher_seeds\.ts or bench\/lesson_a_reference\.py/,
      );
      return true;
    });
    const { studentAlone: _, ...run } = pytorch.runs[0];
    await Deno.writeTextFile(path, JSON.stringify({ pytorch: { ...pytorch, runs: [run] } }));
    await assert.rejects(readSeedSpread(path), /"pytorch" run 0 lacks studentAlone/);
    await Deno.writeTextFile(path, JSON.stringify({ ours: { runs: [] } }));
    await assert.rejects(readSeedSpread(path), /"ours" needs a date, an engine and a list of runs/);
  }));
