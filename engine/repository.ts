/**
 * The repository this package is a workspace member of (the folder above it): the engine finds
 * tfjs-node in its node_modules and keeps its caches in its data/cache unless told otherwise.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A path inside the repository; under the working folder when this file was not loaded from disk. */
export function repositoryPath(...segments: string[]): string {
  const root = new URL("../", import.meta.url);
  return root.protocol === "file:"
    ? join(fileURLToPath(root), ...segments)
    : join(Deno.cwd(), ...segments);
}
