/**
 * The verdict channel of `deno task grade`: `showResult` appends each verdict to the file
 * `KD_GRADE_CHANNEL` names, and the grader reads only well-formed verdict lines back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkFailed, checkPassed, showResult } from "../lib/exercises/result.ts";
import { readVerdicts, sendVerdict } from "../lib/exercises/verdict_channel.ts";
// Declares the exercises, so that checkPassed can title its results.
import "../lib/exercises/exercises.ts";

async function withChannel(run: (path: string) => Promise<void>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kd-channel-test-" });
  const path = join(dir, "channel.jsonl");
  Deno.env.set("KD_GRADE_CHANNEL", path);
  try {
    await run(path);
    return await Deno.readTextFile(path).catch(() => "");
  } finally {
    Deno.env.delete("KD_GRADE_CHANNEL");
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("showResult appends each verdict to the channel as one JSON line", async () => {
  const text = await withChannel(async () => {
    await showResult(checkPassed("01-soft-targets", "all six cases match"));
    await showResult(checkFailed("03-agreement", "expected 0.66, got 0", "compare positions"));
  });
  assert.deepEqual(text.split("\n").map((l) => l && JSON.parse(l)), [
    { exercise: "01-soft-targets", passed: true, message: "all six cases match" },
    {
      exercise: "03-agreement",
      passed: false,
      message: "expected 0.66, got 0",
      hint: "compare positions",
    },
    "",
  ]);
  const { verdicts, rejectedLines } = readVerdicts(text);
  assert.equal(rejectedLines, 0);
  assert.deepEqual([...verdicts.keys()], ["01-soft-targets", "03-agreement"]);
  assert.equal(verdicts.get("03-agreement")?.hint, "compare positions");
});

Deno.test("without KD_GRADE_CHANNEL nothing is written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kd-channel-test-" });
  try {
    sendVerdict({ exercise: "01-soft-targets", passed: true, message: "m" });
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readVerdicts counts lines that are not verdicts and keeps an exercise's last", () => {
  const text = [
    "✓ 01-soft-targets (Soft targets with temperature): passed",
    '{"exercise":"01-mixed-loss","passed":false,"message":"got 0","hint":"build the loss"}',
    '{"exercise":"01-mixed-loss","passed":"yes","message":"a string is no verdict"}',
    '{"exercise":"01-mixed-loss","passed":true,"message":"now right"}',
    "{not json",
    "",
  ].join("\n");
  const { verdicts, rejectedLines } = readVerdicts(text);
  assert.equal(rejectedLines, 3);
  assert.deepEqual([...verdicts.values()], [
    { exercise: "01-mixed-loss", passed: true, message: "now right" },
  ]);
});
