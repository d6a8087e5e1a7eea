/**
 * Paths inside this repository, found from this file (lib/fs/ is two levels below the root):
 * the data caches, the shipped teachers and the bench records live there.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A path inside the repository; under the working folder when lib/ was not loaded from disk. */
export function repositoryPath(...segments: string[]): string {
  const root = new URL("../../", import.meta.url);
  return root.protocol === "file:"
    ? join(fileURLToPath(root), ...segments)
    : join(Deno.cwd(), ...segments);
}
