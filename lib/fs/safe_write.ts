/**
 * Writing files and directories so that a reader sees the old version or the whole new one, never
 * a part: everything is written under a temporary sibling name and renamed into place only once
 * complete. Downloads, checkpoints and saved models all write this way, so a run killed mid-write
 * leaves nothing that later counts as good.
 */
import { basename, dirname, join } from "node:path";

/** Whether a path exists (any kind of entry). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * A unique sibling name for writing `path` before renaming it into place. Same directory, so the
 * rename never crosses file systems; it starts with a dot and says `partial`, so a leftover of a
 * killed run is recognisable and never mistaken for the real file.
 */
export function tempSibling(path: string): string {
  const tag = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  return join(dirname(path), `.${basename(path)}.partial-${tag}`);
}

/**
 * Lets `write` fill a temporary sibling of `path` (a file or a directory it creates), then renames
 * it onto `path`, replacing what was there, and returns what `write` returned. When `write`
 * throws (a failed download, a checksum that does not match), the temporary is removed and
 * `path` is left as it was. A directory being replaced is removed just before the rename (a
 * directory cannot be renamed over a non-empty one), so a reader in that instant finds nothing
 * rather than a mixture.
 */
export async function writeAtomic<T>(
  path: string,
  write: (tmp: string) => Promise<T>,
): Promise<T> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    const result = await write(tmp);
    if ((await Deno.lstat(tmp)).isDirectory) {
      await Deno.remove(path, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
    await Deno.rename(tmp, path);
    return result;
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Writes a whole file atomically (see `writeAtomic`). */
export function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  return writeAtomic(
    path,
    (tmp) => typeof data === "string" ? Deno.writeTextFile(tmp, data) : Deno.writeFile(tmp, data),
  );
}

/** Creates a directory, lets `fill` write its files, then moves it onto `dir` (see `writeAtomic`). */
export function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  return writeAtomic(dir, async (tmp) => {
    await Deno.mkdir(tmp);
    await fill(tmp);
  });
}
