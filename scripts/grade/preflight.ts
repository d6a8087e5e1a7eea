/**
 * The one read a Deno permission does not stop: a program's static imports of local files are
 * loaded before it runs, with no read permission checked (measured on Deno 2.9.6: `import secret
 * from "/root/x.json" with { type: "json" }` loads under `--allow-read=<repo>/lib`). So before a
 * submission runs, its module graph (`deno info`, which reads but never runs it) must stay inside
 * the paths the sandbox may read; remote modules are refused as well (the run itself has
 * `--no-remote`).
 */
import { fileURLToPath } from "node:url";

/** The first import the sandbox would refuse: what it is and why. */
export interface ImportViolation {
  /** The permission it would need: "read" for a local file, "import" for a remote module. */
  readonly permission: "read" | "import";
  /** The file path or the remote specifier. */
  readonly target: string;
}

interface GraphModule {
  specifier: string;
}

function inside(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.replace(/\/*$/, "/")));
}

/**
 * The first module of `program`'s graph outside `readRoots` (files and folders the sandbox may
 * read), or undefined when there is none. npm packages are allowed (the run is `--cached-only`
 * and `--frozen`, so only what is installed loads); `node:` and `data:` modules read no file.
 */
export async function importViolation(
  program: string,
  readRoots: readonly string[],
  cwd: string,
): Promise<ImportViolation | undefined> {
  // --no-npm keeps deno info from fetching a package that is not installed (it would download).
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-remote", "--no-npm", "--frozen", program],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno info could not read the module graph of ${program}: ` +
        new TextDecoder().decode(out.stderr).trim(),
    );
  }
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: GraphModule[] };
  for (const { specifier } of graph.modules) {
    const scheme = specifier.slice(0, specifier.indexOf(":") + 1);
    if (scheme === "file:") {
      const path = fileURLToPath(specifier);
      if (!inside(path, readRoots)) return { permission: "read", target: path };
    } else if (!["npm:", "node:", "data:"].includes(scheme)) {
      return { permission: "import", target: specifier };
    }
  }
  return undefined;
}
