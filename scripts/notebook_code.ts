/**
 * `deno check` and `deno lint` do not read .ipynb files, so this writes each
 * notebook's code cells, in order, to `.notebook_code/<name>.ts` (same depth as
 * notebooks/, so the cells' relative imports resolve) for them to check.
 * `deno fmt` formats the notebooks themselves.
 */
import { basename, join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const outDir = join(root, ".notebook_code");

interface Cell {
  cell_type: string;
  source: string | string[];
}

await Deno.remove(outDir, { recursive: true }).catch(() => {});
await Deno.mkdir(outDir, { recursive: true });
const written: string[] = [];
for await (const entry of Deno.readDir(join(root, "notebooks"))) {
  if (!entry.isFile || !entry.name.endsWith(".ipynb")) continue;
  const path = join(root, "notebooks", entry.name);
  const notebook = JSON.parse(await Deno.readTextFile(path)) as { cells: Cell[] };
  const code = notebook.cells
    .map((cell, i) => ({ cell, i }))
    .filter(({ cell }) => cell.cell_type === "code")
    .map(({ cell, i }) => {
      const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      return `// ${entry.name}, cell ${i}\n${text}\n`;
    });
  const out = join(outDir, basename(entry.name, ".ipynb") + ".ts");
  // Top-level await across cells needs a module: every cell file is one.
  await Deno.writeTextFile(out, code.join("\n") + "\nexport {};\n");
  written.push(out);
}
console.log(`extracted code of ${written.length} notebooks to ${outDir}`);
