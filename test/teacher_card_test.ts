import assert from "node:assert/strict";
import {
  type LoadedTeacher,
  teacherCardRows,
  teacherCheckRows,
  type TeacherManifest,
} from "../lib/teachers/mod.ts";

const shipped: TeacherManifest = JSON.parse(
  await Deno.readTextFile(new URL("../data/teachers/deepnn/manifest.json", import.meta.url)),
);

Deno.test("the teacher card states the shipped DeepNN's recipe, data, accuracy and provenance", () => {
  const rows = Object.fromEntries(teacherCardRows(shipped).map((r) => [r.item, r.value]));
  assert.equal(rows.model, "cifarDeepNN({ seed: 42 }), 1,186,986 parameters");
  assert.equal(
    rows.recipe,
    "10 epochs on 50,000 images, batch 128, Adam 0.001, cross-entropy on the labels, shuffle seed 10",
  );
  assert.equal(rows.data, "CIFAR-10 mirror copy (JPEG re-encoding, not the official pixels)");
  assert.equal(rows.archive, "cifar-10-binary.tar.gz, sha256 5fa7dea50efc1957…");
  assert.equal(rows["test accuracy"], "72.16 % on 10,000 test images");
  assert.equal(rows.trained, "2026-12-02, 19:53 wall time in 1 sitting, on AMD EPYC (2 cores)");
  assert.match(rows.engine, /^wasm \(SIMD, 2 threads \+ native oneDNN 2\.6\.3, 2 threads\)/);
  assert.equal(rows.weights, "weights.bin, sha256 2f49c8125510ce1f…");
  assert.equal(rows.retrain, "deno task train-teachers deepnn");
});

Deno.test("a reduced run says so on its card", () => {
  const reduced = {
    ...shipped,
    fullRecipe: false,
    sittings: [...shipped.sittings, shipped.sittings[0]],
  };
  const rows = Object.fromEntries(teacherCardRows(reduced).map((r) => [r.item, r.value]));
  assert.match(rows.recipe, /\(a reduced run, not the lesson's full recipe\)$/);
  assert.match(rows.trained, / in 2 sittings,/);
});

Deno.test("the teacher check reads the measurement against the manifest and published figures", () => {
  const loaded = { manifest: shipped } as unknown as LoadedTeacher;
  // Notebook 04's table: the manifest's 72.16 %, the measurement, the tutorial's 75.10 %.
  assert.deepEqual(
    teacherCheckRows(0.71234, {
      shipped: loaded,
      references: [{ where: "the tutorial (official pixels)", accuracy: 0.751 }],
    }),
    [
      { where: "its manifest (when it was trained)", accuracy: "72.16 %" },
      { where: "evaluated here, now", accuracy: "71.23 %" },
      { where: "the tutorial (official pixels)", accuracy: "75.10 %" },
    ],
  );
  // A teacher trained in the notebook (the full profile) has no manifest row.
  assert.deepEqual(teacherCheckRows(0.5), [{ where: "evaluated here, now", accuracy: "50.00 %" }]);
});
