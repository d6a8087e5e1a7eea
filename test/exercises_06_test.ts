/** Notebook 06's exercise checks: each passes its solution and fails the skeleton and typical slips with a hint. */
import assert from "node:assert/strict";
import { checkFloat16Size } from "../lib/exercises/06-float16-size/mod.ts";
import { checkSmallestClose, type ShippedRow } from "../lib/exercises/06-smallest-close/mod.ts";
import { skeletonAnswer } from "../lib/exercises/skeleton.ts";
import { solution } from "../lib/exercises/solutions.ts";

const measured = [{ model: "student", storedValues: 19_742, float16Bytes: 39_484 }];

Deno.test("06-float16-size: 2 bytes a value passes; the skeleton, float32 and bits fail with a hint", async () => {
  assert.equal(checkFloat16Size(solution("06-float16-size"), measured).passed, true);
  const skeleton = checkFloat16Size(await skeletonAnswer("06-float16-size"), measured);
  assert.equal(skeleton.passed, false);
  assert.match(
    skeleton.message,
    /for student \(19,742 values\) it says 0 bytes; the file holds 39,484/,
  );
  assert.match(checkFloat16Size((v) => 4 * v, measured).hint!, /float32's 4 bytes/);
  assert.match(checkFloat16Size((v) => 16 * v, measured).hint!, /16 is bits, not bytes/);
  // A lookup of the notebook's numbers fails on the counts the check adds.
  const lookup = checkFloat16Size((v) => (v === 19_742 ? 39_484 : 0), measured);
  assert.match(lookup.message, /6-8-3 network/);
  assert.match(
    checkFloat16Size(() => "2" as unknown as number, measured).message,
    /the string "2"/,
  );
  assert.throws(() => checkFloat16Size((v) => 2 * v, []), /run the measuring cell first/);
});

const rows: ShippedRow[] = [
  { model: "teacher", format: "float32", bytes: 1_000, accuracy: 0.99 },
  { model: "teacher", format: "uint8", bytes: 250, accuracy: 0.99 },
  { model: "student", format: "float32", bytes: 100, accuracy: 0.981 },
  { model: "student", format: "uint8", bytes: 25, accuracy: 0.975 },
];

Deno.test("06-smallest-close: filter then smallest passes; the skeleton and 'smallest overall' fail", async () => {
  assert.equal(checkSmallestClose(solution("06-smallest-close"), rows, 0.99).passed, true);
  const skeleton = checkSmallestClose(await skeletonAnswer("06-smallest-close"), rows, 0.99);
  assert.equal(skeleton.passed, false);
  // Hand-picked: 0.981 ≥ 0.98 keeps the float32 student (100 bytes); 0.975 is 1.5 points down.
  assert.match(skeleton.message, /picked teacher float32 .*the answer is student float32/);
  assert.match(skeleton.hint!, /fewest bytes/);
  const smallest = (r: readonly ShippedRow[]) => r.reduce((b, x) => (x.bytes < b.bytes ? x : b));
  const tooSmall = checkSmallestClose(smallest, rows, 0.99);
  assert.equal(tooSmall.passed, false);
  assert.match(tooSmall.hint!, /keep only rows with accuracy ≥ teacherAccuracy − 0\.01/);
  assert.throws(() => checkSmallestClose(smallest, [], 0.99), /run the table cell first/);
});
