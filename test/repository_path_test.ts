import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { repositoryPath } from "../lib/fs/repository.ts";
import { defaultCacheDir } from "../lib/data/cifar10.ts";
import { defaultTeachersDir } from "../lib/teachers/mod.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));

Deno.test("repositoryPath resolves from the repository's root, '..' included", () => {
  assert.equal(repositoryPath("deno.json"), `${repo}deno.json`);
  assert.equal(
    repositoryPath("..", "shared", "data"),
    fileURLToPath(new URL("../../shared/data", import.meta.url)),
  );
});

Deno.test("the data cache and the shipped teachers are the repository's data/ folders", () => {
  const saved = Deno.env.get("KD_DATA_DIR");
  Deno.env.delete("KD_DATA_DIR");
  try {
    assert.equal(defaultCacheDir(), `${repo}data/cache`);
  } finally {
    if (saved !== undefined) Deno.env.set("KD_DATA_DIR", saved);
  }
  assert.equal(defaultTeachersDir(), `${repo}data/teachers`);
});
