/**
 * The native TensorFlow engine: tfjs-node-gpu or tfjs-node, used only when
 * really installed (with its native binding) in the project's node_modules.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Engine, setBackendOrThrow } from "./engine.ts";
import { repositoryPath } from "./repository.ts";

/** A native tfjs package found on disk. */
export interface InstalledTfjsNode {
  /** `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`. */
  readonly name: string;
  /** The project root whose node_modules holds it. */
  readonly root: string;
}

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Where to look for node_modules: the repository holding this package, then the cwd. */
function projectRoots(): string[] {
  const roots: string[] = [repositoryPath()];
  try {
    roots.push(Deno.cwd());
  } catch {
    // no read permission for the cwd
  }
  return [...new Set(roots.map((r) => r.replace(/\/+$/, "")))];
}

/**
 * Finds tfjs-node-gpu or tfjs-node (in that order) installed with its native
 * binding under `<root>/node_modules`. Reads the disk only: a package that npm
 * or Deno unpacked without running its install script (no tfjs_binding.node)
 * does not count.
 */
export function findInstalledTfjsNode(
  roots: readonly string[] = projectRoots(),
): InstalledTfjsNode | undefined {
  for (const name of NATIVE_PACKAGES) {
    for (const root of roots) {
      const dir = join(root, "node_modules", name);
      if (!isFile(join(dir, "package.json"))) continue;
      let entries: Deno.DirEntry[] = [];
      try {
        entries = [...Deno.readDirSync(join(dir, "lib"))];
      } catch {
        continue;
      }
      const bound = entries.some((e) =>
        e.isDirectory && e.name.startsWith("napi-v") &&
        isFile(join(dir, "lib", e.name, "tfjs_binding.node"))
      );
      if (bound) return { name, root };
    }
  }
  return undefined;
}

export const tensorflowEngine: Engine = {
  backend: "tensorflow",
  async start() {
    const found = findInstalledTfjsNode();
    if (found === undefined) {
      throw new Error(
        `tfjs-node is not installed: no ${NATIVE_PACKAGES.join(" or ")} with its native ` +
          `binding in node_modules of ${projectRoots().join(" or ")}`,
      );
    }
    // createRequire loads the CommonJS package from disk; an npm: import of a
    // package missing from the lockfile would make Deno download it instead.
    createRequire(join(found.root, "noop.js"))(found.name);
    await setBackendOrThrow("tensorflow", `${found.name} loaded but the 'tensorflow' backend`);
    return `${found.name} installed (native TensorFlow)`;
  },
  reactivate: () => setBackendOrThrow("tensorflow", "the tensorflow backend"),
  detail: () => "native",
};
