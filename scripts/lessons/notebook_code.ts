/**
 * `deno check` and `deno lint` do not read .ipynb files, so this writes each
 * notebook's code cells, in order, to `.notebook_code/<name>.ts` (same depth as
 * notebooks/, so the cells' relative imports resolve) for them to check.
 * `deno fmt` formats the notebooks themselves; with `--check-format` this script
 * also checks that they are formatted, because Deno 2.9's `deno fmt --check`
 * reports freshly cloned notebooks as unformatted even when formatting them
 * changes no byte. `notebookCode` is the extraction itself, which `deno task
 * grade` runs submissions through as well.
 */
import { basename, join } from "node:path";
import type { NotebookJson } from "../../lib/exercises/cells.ts";

/**
 * A notebook's code cells, in order, as one module: each cell under a `// <fileName>, cell <i>`
 * line, then `export {}` (top-level await across cells needs a module).
 */
export function notebookCode(notebook: NotebookJson, fileName: string): string {
  const code = notebook.cells
    .map((cell, i) => ({ cell, i }))
    .filter(({ cell }) => cell.cell_type === "code")
    .map(({ cell, i }) => {
      const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      return `// ${fileName}, cell ${i}\n${text}\n`;
    });
  return code.join("\n") + "\nexport {};\n";
}

async function extractAll(root: string): Promise<void> {
  const outDir = join(root, ".notebook_code");
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for await (const entry of Deno.readDir(join(root, "notebooks"))) {
    if (!entry.isFile || !entry.name.endsWith(".ipynb")) continue;
    const path = join(root, "notebooks", entry.name);
    const notebook = JSON.parse(await Deno.readTextFile(path)) as NotebookJson;
    const out = join(outDir, basename(entry.name, ".ipynb") + ".ts");
    await Deno.writeTextFile(out, notebookCode(notebook, entry.name));
    written.push(out);
  }
  console.log(`extracted code of ${written.length} notebooks to ${outDir}`);
}

async function checkFormat(root: string): Promise<void> {
  const unformatted: string[] = [];
  const tmp = await Deno.makeTempDir();
  for (const dir of ["notebooks", "test/fixtures"]) {
    for await (const entry of Deno.readDir(join(root, dir))) {
      if (!entry.name.endsWith(".ipynb")) continue;
      const original = await Deno.readFile(join(root, dir, entry.name));
      const copy = join(tmp, entry.name);
      await Deno.writeFile(copy, original);
      const fmt = await new Deno.Command(Deno.execPath(), {
        args: ["fmt", "--no-config", "--line-width=100", "--quiet", copy],
      }).output();
      const formatted = await Deno.readFile(copy);
      if (!fmt.success || formatted.join() !== original.join()) {
        unformatted.push(`${dir}/${entry.name}`);
      }
    }
  }
  await Deno.remove(tmp, { recursive: true });
  if (unformatted.length) {
    console.error(`not formatted: ${unformatted.join(", ")}; run \`deno fmt\``);
    Deno.exit(1);
  }
  console.log("notebooks are formatted");
}

if (import.meta.main) {
  const root = new URL("../../", import.meta.url).pathname;
  await extractAll(root);
  if (Deno.args.includes("--check-format")) await checkFormat(root);
}
