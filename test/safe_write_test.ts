import assert from "node:assert/strict";
import { join } from "node:path";
import {
  exists,
  tempSibling,
  writeAtomic,
  writeDirAtomic,
  writeFileAtomic,
} from "../lib/fs/safe_write.ts";

const names = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("writeFileAtomic replaces a file whole and leaves no temporary behind", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "sub", "a.json");
  await writeFileAtomic(path, "old");
  await writeFileAtomic(path, new TextEncoder().encode("new"));
  assert.equal(await Deno.readTextFile(path), "new");
  assert.deepEqual(await names(join(dir, "sub")), ["a.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a write that throws keeps the old file and removes its partial copy", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "archive.tar.gz");
  await writeFileAtomic(path, "good");
  let partial = "";
  await assert.rejects(
    writeAtomic(path, async (tmp) => {
      partial = tmp;
      await Deno.writeTextFile(tmp, "half a downl");
      throw new Error("checksum does not match");
    }),
    /checksum does not match/,
  );
  assert.equal(await Deno.readTextFile(path), "good");
  assert.equal(await exists(partial), false);
  assert.match(partial, /\/\.archive\.tar\.gz\.partial-[0-9a-z]+-[0-9a-z]+$/);
  assert.deepEqual(await names(dir), ["archive.tar.gz"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeAtomic returns what the writer returned", async () => {
  const dir = await Deno.makeTempDir();
  const got = await writeAtomic(join(dir, "f"), async (tmp) => {
    await Deno.writeTextFile(tmp, "x");
    return 42;
  });
  assert.equal(got, 42);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeDirAtomic replaces a directory whole; a failed fill leaves the old one", async () => {
  const dir = await Deno.makeTempDir();
  const target = join(dir, "model");
  await writeDirAtomic(target, async (tmp) => {
    await Deno.writeTextFile(join(tmp, "model.json"), "1");
    await Deno.writeTextFile(join(tmp, "stale.bin"), "1");
  });
  await writeDirAtomic(target, (tmp) => Deno.writeTextFile(join(tmp, "model.json"), "2"));
  assert.deepEqual(await names(target), ["model.json"], "the old directory's files are gone");
  assert.equal(await Deno.readTextFile(join(target, "model.json")), "2");
  await assert.rejects(
    writeDirAtomic(target, async (tmp) => {
      await Deno.writeTextFile(join(tmp, "model.json"), "3");
      throw new Error("disk full");
    }),
    /disk full/,
  );
  assert.equal(await Deno.readTextFile(join(target, "model.json")), "2");
  assert.deepEqual(await names(dir), ["model"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tempSibling names differ and stay in the same directory", () => {
  const a = tempSibling("/x/y/file.bin");
  const b = tempSibling("/x/y/file.bin");
  assert.notEqual(a, b);
  assert.match(a, /^\/x\/y\/\.file\.bin\.partial-/);
});
