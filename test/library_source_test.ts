import assert from "node:assert/strict";
import { librarySource } from "../lib/mod.ts";

Deno.test("librarySource reads a library file from its marker, wherever the cwd is", async () => {
  const cwd = Deno.cwd();
  Deno.chdir("/");
  try {
    const text = await librarySource("distill/train_step.ts", "/** One optimiser step");
    assert.ok(text.startsWith("/** One optimiser step of `model`"), text.slice(0, 60));
    assert.match(text, /^export function trainStep\(/m);
    assert.ok(!text.includes("import * as tf"), "the file's head is cut off");
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("librarySource names the file and the marker it did not find", async () => {
  await assert.rejects(
    () => librarySource("distill/train_step.ts", "no such marker"),
    {
      message:
        'lib/distill/train_step.ts does not contain "no such marker": pass a marker the file contains',
    },
  );
});
