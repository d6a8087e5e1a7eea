/**
 * The module graph of lib/ and the engine package, from `deno info --json`: no import cycle
 * (type-only imports included), lib/ reaches the engine only through lib/backend.ts, and the engine
 * imports nothing from lib/.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

async function tsFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, e.name);
    if (e.isDirectory) found.push(...await tsFiles(path));
    else if (e.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

/** Each file of the repository under lib/ or engine/ and the files of those folders it imports. */
async function moduleGraph(): Promise<Map<string, string[]>> {
  const files = [...await tsFiles("lib"), ...await tsFiles("engine")];
  // One root that imports them all, so that one `deno info` run sees the whole graph.
  const dir = await Deno.makeTempDir();
  const root = join(dir, "all.ts");
  await Deno.writeTextFile(
    root,
    files.map((f) => `import "${pathToFileURL(join(ROOT, f)).href}";\n`).join(""),
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const local = (specifier: string | undefined) => {
      if (!specifier?.startsWith("file:")) return undefined;
      const path = relative(ROOT, fileURLToPath(specifier));
      return /^(lib|engine)\//.test(path) ? path : undefined;
    };
    const graph = new Map<string, string[]>();
    for (const m of info.modules) {
      const from = local(m.specifier);
      if (from === undefined) continue;
      const to = (m.dependencies ?? [])
        .flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .map(local)
        .filter((p): p is string => p !== undefined);
      graph.set(from, [...new Set(to)]);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const graph = await moduleGraph();

Deno.test("the graph covers lib/ and the engine package", () => {
  assert.ok(graph.has("lib/mod.ts") && graph.has("engine/mod.ts"));
  assert.ok(graph.get("lib/backend.ts")?.includes("engine/mod.ts"));
});

Deno.test("no import cycle in lib/ or the engine package, type-only imports included", () => {
  assert.deepEqual(cycles(graph), []);
});

Deno.test("lib/ reaches the engine only through lib/backend.ts, and only its entry", () => {
  const offenders = [...graph].flatMap(([from, to]) =>
    from.startsWith("lib/")
      ? to.filter((t) => t.startsWith("engine/")).map((t) => `${from} -> ${t}`)
        .filter((edge) => edge !== "lib/backend.ts -> engine/mod.ts")
      : []
  );
  assert.deepEqual(offenders, []);
});

Deno.test("the engine package imports nothing from lib/", () => {
  const offenders = [...graph].flatMap(([from, to]) =>
    from.startsWith("engine/")
      ? to.filter((t) => t.startsWith("lib/")).map((t) => `${from} -> ${t}`)
      : []
  );
  assert.deepEqual(offenders, []);
});
