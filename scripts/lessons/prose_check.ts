/**
 * Checks that the prose of the lessons states no number its run does not show (issue 32). Every
 * number in a notebook's markdown cells must be
 *
 * - found in one of that notebook's outputs, to the digits the prose gives (97.6 matches 97.58;
 *   97.58 % also matches the fraction 0.9758 an output may print), or
 * - quoted from a source in a "Quoted figures" paragraph of the notebook (see `parseQuoteLine`;
 *   a source that names a repository file in backticks must hold the figure), or
 * - a small count (0–10) or one of `CONSTANTS`.
 *
 * The README's results section is held to the same rule against the notebooks: a table row that
 * starts with a notebook's number against that notebook, other lines against all six.
 *
 *   deno run -A scripts/lessons/prose_check.ts      prints every number that fails, exits 1 if any
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The part of the Jupyter notebook format this reads. */
export interface NotebookJson {
  cells: {
    cell_type: string;
    source: string | string[];
    outputs?: { output_type: string; text?: string | string[]; data?: Record<string, unknown> }[];
  }[];
}

/** A number as the prose writes it. */
export interface ProseNumber {
  /** As written, e.g. "97.58" or "60,000". */
  text: string;
  value: number;
  /** Digits after the decimal point: how precisely the prose states it. */
  decimals: number;
  /** Followed by "%": an output may show it as a fraction. */
  percent: boolean;
}

/** One number that no output, quotation or constant accounts for. */
export interface Finding {
  /** "notebooks/01_mnist_teacher_student.ipynb, cell 21" or "README.md, line 80". */
  where: string;
  number: string;
  /** What is wrong with it. */
  problem: string;
  /** The line it stands on, for the reader of the test's message ("" when none). */
  context: string;
}

/**
 * Numbers a notebook's prose may use without an output showing them, each with why: fixed by the
 * data, the architecture or the measuring code, not by the run. Counts up to 10 pass anyway.
 * "all" holds for every notebook.
 */
export const CONSTANTS: Readonly<Record<string, ReadonlyMap<number, string>>> = {
  all: new Map([[255, "the largest pixel value"]]),
  "01": new Map([
    [70_000, "MNIST's images, both splits"],
    [784, "28 × 28 pixels"],
    [3136, "the student's 14 · 14 · 16 features"],
  ]),
  "02": new Map([
    [60_000, "CIFAR-10's images, both splits"],
    [6_000, "CIFAR-10's images per class"],
    [2_000, "the quick profile's subsets"],
    [960, "the student's 4,096 − 3,136 extra features"],
  ]),
  "03": new Map([
    [100_000, "the income column's scale"],
    [2.5, "one of 40 test people, in points"],
  ]),
  "04": new Map([[1_000, "the quick profile's subsets"], [512, "DeepNN's hidden width"]]),
  "05": new Map([[784, "28 × 28 pixels"]]),
  "06": new Map([[200, "latency calls per model"], [20, "warm-up calls before timing"]]),
};

const QUOTE_LABEL = /^\s*[_*]Quoted figures[_*]\s*·/;

/** A figure quoted from a source, with the source it is quoted from. */
export interface Quote {
  source: string;
  figures: ProseNumber[];
}

/**
 * Parses a paragraph "_Quoted figures_ · source one: 99.03, 97.69 · source two: 75.10" (the source
 * is everything before its part's last colon), given as one line. Returns null for any other
 * text; throws on a part that lacks a source or a figure, so a typo cannot exempt numbers silently.
 */
export function parseQuoteLine(line: string): Quote[] | null {
  if (!QUOTE_LABEL.test(line)) return null;
  const parts = line.replace(QUOTE_LABEL, "").split(" · ");
  return parts.map((part) => {
    const colon = part.lastIndexOf(":");
    const source = colon < 0 ? "" : part.slice(0, colon).trim();
    const figures = colon < 0 ? [] : numbersIn(part.slice(colon + 1));
    if (!/\p{L}/u.test(source) || figures.length === 0) {
      throw new Error(
        `quote line "${line.trim()}": each part must read "source: figure, figure" ` +
          `(got "${part.trim()}")`,
      );
    }
    return { source, figures };
  });
}

/** Text with the parts that hold no stated quantities removed: code, math, links, tags, ids. */
function proseOnly(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/`[^`]*`/g, " ")
    .replace(/\$(?=\d)/g, "USD ") // a dollar amount, not the start of math
    .replace(/\$\$[\s\S]*?\$\$/g, " ")
    .replace(/\$[^$]*\$/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\]\([^)]*\)/g, "] ")
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, " ")
    .replace(/arXiv:? ?\d{4}\.\d{4,5}/g, " ")
    .replace(/\(([^()]*, )?(19|20)\d\d\)/g, " ") // a citation's year: "(Romero et al., 2015)"
    .replace(/^(\s*#+\s*)\d+\s*·/gm, "$1") // "## 3 · The teacher"
    .replace(/^(\s*)\d+\.\s/gm, "$1"); // an ordered list's marker
}

const NUMBER = /\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g;

/** The numbers in a piece of prose, skipping digits inside identifiers (float32, ResNet-50). */
export function numbersIn(text: string): ProseNumber[] {
  const found: ProseNumber[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const before = text.slice(Math.max(0, m.index - 2), m.index);
    const after = text[m.index + m[0].length] ?? "";
    const prev = before.at(-1) ?? "";
    if (/[\p{L}_]/u.test(prev) || /\p{L}/u.test(after)) continue;
    if (/[\p{L}\d][-.]$/u.test(before)) continue; // ResNet-50, AVX-512, 1e-5
    const plain = m[0].replaceAll(",", "");
    const dot = plain.indexOf(".");
    found.push({
      text: m[0],
      value: Number(plain),
      decimals: dot < 0 ? 0 : plain.length - dot - 1,
      percent: /^\s?%/.test(text.slice(m.index + m[0].length)),
    });
  }
  return found;
}

/** Every number an output shows, in sorted order (images excepted: their numbers draw). */
export function outputNumbers(nb: NotebookJson): number[] {
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "number") texts.push(String(v));
    else if (typeof v === "string") texts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      if (out.text) walk(out.text);
      for (const [mime, value] of Object.entries(out.data ?? {})) {
        if (!mime.startsWith("image/")) walk(value);
      }
    }
  }
  const values: number[] = [];
  for (const t of texts) {
    // A duration "7:52" counts as its minutes (7.87), not as a 7 and a 52.
    const plain = t.replace(/<[^>]+>/g, " ").replace(/\b(\d+):(\d\d)\b/g, (_, m, sec) => {
      values.push(Number(m) + Number(sec) / 60);
      return " ";
    });
    for (const m of plain.matchAll(NUMBER)) {
      values.push(Number(m[0].replaceAll(",", "")));
    }
    for (const m of t.matchAll(/\d\.\d+e-\d+/g)) values.push(Number(m[0]));
  }
  return values.sort((a, b) => a - b);
}

/** Whether some value in `sorted` rounds to `n` at the precision the prose gives. */
function shown(n: ProseNumber, sorted: number[]): boolean {
  const half = 0.5 * 10 ** -n.decimals;
  const near = (target: number, tolerance: number) => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < target - tolerance) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && sorted[lo] <= target + tolerance;
  };
  // 97.58 % in prose, 0.9758 in a table of fractions (1e-9: float noise at the rounding edge).
  return near(n.value, half + 1e-9) || (n.percent && near(n.value / 100, half / 100 + 1e-9));
}

/** What a prose number may match: outputs, quoted figures, constants. */
export interface Pool {
  outputs: number[];
  quoted: ProseNumber[];
  constants: ReadonlyMap<number, string>;
}

function accounted(n: ProseNumber, pool: Pool): boolean {
  if (Number.isInteger(n.value) && n.value <= 10) return true;
  if (pool.constants.has(n.value)) return true;
  if (pool.quoted.some((q) => q.value === n.value)) return true;
  return shown(n, pool.outputs);
}

const sourceOf = (s: string | string[]) => Array.isArray(s) ? s.join("") : s;

/**
 * The lines of a markdown text, with each "Quoted figures" paragraph (which a formatter may wrap)
 * joined into its first line and its other lines left empty, so line numbers stay.
 */
function logicalLines(text: string): string[] {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!QUOTE_LABEL.test(lines[i])) continue;
    for (let j = i + 1; j < lines.length && lines[j].trim() !== ""; j++) {
      lines[i] += " " + lines[j].trim();
      lines[j] = "";
    }
  }
  return lines;
}

/** The quotations the "Quoted figures" paragraphs of these markdown texts list. */
export function quotations(markdown: string[]): Quote[] {
  return markdown.flatMap((text) =>
    logicalLines(text).flatMap((line) => parseQuoteLine(line) ?? [])
  );
}

const markdownOf = (nb: NotebookJson) =>
  nb.cells.filter((c) => c.cell_type === "markdown").map((c) => sourceOf(c.source));

/**
 * A quotation whose source names a file of the repository in backticks (`bench/x.json`) must
 * agree with it: each figure must be in that file, to the digits given (as a percentage of a
 * fraction too). `where` labels the findings.
 */
export async function checkQuotedFiles(
  quotes: Quote[],
  root: string,
  where: string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const q of quotes) {
    for (const [, path] of q.source.matchAll(/`([^`\s]+\.[a-z]+)`/g)) {
      const text = await Deno.readTextFile(join(root, path)).catch(() => null);
      if (text === null) {
        const problem = `is quoted from ${path}, which does not exist`;
        findings.push({
          where,
          number: q.figures.map((f) => f.text).join(", "),
          problem,
          context: "",
        });
        continue;
      }
      const held = outputNumbers({
        cells: [{ cell_type: "code", source: "", outputs: [{ output_type: "stream", text }] }],
      });
      for (const f of q.figures) {
        if (!shown({ ...f, percent: true }, held)) {
          const problem = `is quoted from ${path}, which does not hold it`;
          findings.push({ where, number: f.text, problem, context: "" });
        }
      }
    }
  }
  return findings;
}

/** The pool notebook `number`'s ("01") prose is checked against. */
export function notebookPool(nb: NotebookJson, number: string): Pool {
  const constants = new Map([...CONSTANTS.all, ...(CONSTANTS[number] ?? [])]);
  const quoted = quotations(markdownOf(nb)).flatMap((q) => q.figures);
  return { outputs: outputNumbers(nb), quoted, constants };
}

const UNACCOUNTED = "is in no output, quotation or constant";

function findingsIn(text: string, pool: Pool, where: string): Finding[] {
  const findings: Finding[] = [];
  for (const line of logicalLines(text)) {
    if (parseQuoteLine(line)) continue;
    for (const n of numbersIn(proseOnly(line))) {
      if (!accounted(n, pool)) {
        findings.push({ where, number: n.text, problem: UNACCOUNTED, context: line.trim() });
      }
    }
  }
  return findings;
}

/**
 * Every number in the markdown of notebook `number` ("01") that nothing accounts for; `name`
 * labels the findings.
 */
export function checkNotebook(nb: NotebookJson, number: string, name: string): Finding[] {
  const pool = notebookPool(nb, number);
  return nb.cells.flatMap((cell, i) =>
    cell.cell_type === "markdown"
      ? findingsIn(proseOnly(sourceOf(cell.source)), pool, `${name}, cell ${i}`)
      : []
  );
}

/**
 * Every number in the README's "## Results" section (to the next heading) that the notebooks do
 * not account for. `notebooks` maps a notebook's number ("01") to its JSON.
 */
export function checkReadme(readme: string, notebooks: Map<string, NotebookJson>): Finding[] {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => /^## Results\b/.test(l));
  if (start < 0) throw new Error('README.md has no "## Results" section to check');
  const pools = new Map([...notebooks].map(([k, nb]) => [k, notebookPool(nb, k)]));
  const all: Pool = {
    outputs: [...pools.values()].flatMap((p) => p.outputs).sort((a, b) => a - b),
    quoted: [...pools.values()].flatMap((p) => p.quoted),
    constants: new Map([...pools.values()].flatMap((p) => [...p.constants])),
  };
  const findings: Finding[] = [];
  for (let i = start + 1; i < lines.length && !/^#/.test(lines[i]); i++) {
    const row = lines[i].match(/^\|\s*(\d\d)\s*\|/);
    const pool = row ? pools.get(row[1]) : all;
    if (!pool) throw new Error(`README.md, line ${i + 1}: no notebook ${row?.[1]}`);
    // The row's own notebook number is its label, not a claim.
    const text = row ? lines[i].slice(row[0].length) : lines[i];
    findings.push(...findingsIn(text, pool, `README.md, line ${i + 1}`));
  }
  return findings;
}

/** The committed notebooks by number, read from `root`'s notebooks/. */
export async function readNotebooks(root: string): Promise<Map<string, NotebookJson>> {
  const notebooks = new Map<string, NotebookJson>();
  for await (const e of Deno.readDir(join(root, "notebooks"))) {
    const m = e.name.match(/^(\d\d)_.*\.ipynb$/);
    if (m) {
      notebooks.set(m[1], JSON.parse(await Deno.readTextFile(join(root, "notebooks", e.name))));
    }
  }
  return new Map([...notebooks].sort(([a], [b]) => a.localeCompare(b)));
}

/** Every finding of the repository at `root`: each notebook's markdown, then the README. */
export async function checkRepository(root: string): Promise<Finding[]> {
  const notebooks = await readNotebooks(root);
  const names = new Map<string, string>();
  for await (const e of Deno.readDir(join(root, "notebooks"))) {
    names.set(e.name.slice(0, 2), e.name);
  }
  const findings: Finding[] = [];
  for (const [k, nb] of notebooks) {
    const name = `notebooks/${names.get(k)}`;
    findings.push(...checkNotebook(nb, k, name));
    findings.push(...await checkQuotedFiles(quotations(markdownOf(nb)), root, name));
  }
  return [...findings, ...checkReadme(await Deno.readTextFile(join(root, "README.md")), notebooks)];
}

/** How a finding reads in a test failure or the command's output. */
export function describeFinding(f: Finding): string {
  return `${f.where}: ${f.number} ${f.problem}` + (f.context ? ` — "${f.context}"` : "");
}

if (import.meta.main) {
  const findings = await checkRepository(fileURLToPath(new URL("../../", import.meta.url)));
  for (const f of findings) console.log(describeFinding(f));
  console.log(`${findings.length} number(s) unaccounted for`);
  Deno.exit(findings.length ? 1 : 0);
}
