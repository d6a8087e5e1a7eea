/**
 * `deno check` and `deno lint` do not read .ipynb files, so this writes each
 * notebook's code cells, in order, to `.notebook_code/<name>.ts` (same depth as
 * notebooks/, so the cells' relative imports resolve) for them to check.
 * `deno fmt` formats the notebooks themselves; with `--check-format` this script
 * also checks that they are formatted, because Deno 2.9's `deno fmt --check`
 * reports freshly cloned notebooks as unformatted even when formatting them
 * changes no byte.
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

if (Deno.args.includes("--check-format")) {
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
