/**
 * The lessons' prose states no number their runs do not show (issue 32): the committed notebooks
 * and the README's results pass the check, and a number planted in either is named.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  checkNotebook,
  checkQuotedFiles,
  checkReadme,
  checkRepository,
  describeFinding,
  type NotebookJson,
  numbersIn,
  outputNumbers,
  parseQuoteLine,
  quotations,
  readNotebooks,
} from "../scripts/lessons/prose_check.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

/** A notebook of one code cell printing `printed` and one markdown cell saying `prose`. */
function notebook(printed: string, prose: string): NotebookJson {
  return {
    cells: [
      { cell_type: "code", source: "", outputs: [{ output_type: "stream", text: printed }] },
      { cell_type: "markdown", source: prose },
    ],
  };
}

const unaccounted = (printed: string, prose: string) =>
  checkNotebook(notebook(printed, prose), "99", "nb").map((f) => f.number);

Deno.test("every number in the committed notebooks' markdown and the README's results is accounted for", async () => {
  const findings = await checkRepository(root);
  assert.deepEqual(findings.map(describeFinding), []);
});

Deno.test("a false number planted in a notebook's markdown is named with its cell", async () => {
  const nb = (await readNotebooks(root)).get("01")!;
  const before = checkNotebook(nb, "01", "notebooks/01.ipynb");
  const i = nb.cells.findLastIndex((c) => c.cell_type === "markdown");
  nb.cells[i].source = [nb.cells[i].source].flat().join("") + "\nThe student reached 97.12 %.\n";
  const after = checkNotebook(nb, "01", "notebooks/01.ipynb");
  assert.deepEqual(after.slice(before.length).map((f) => [f.where, f.number, f.context]), [
    [`notebooks/01.ipynb, cell ${i}`, "97.12", "The student reached 97.12 %."],
  ]);
  assert.equal(after.length, before.length + 1);
});

Deno.test("a false number planted in the README's results is named with its line", async () => {
  const notebooks = await readNotebooks(root);
  const readme = await Deno.readTextFile(`${root}/README.md`);
  // 01's teacher reached 98.95 %; 02's did not, so the same figure in 02's row is false.
  const line = readme.split("\n").findIndex((l) => l.startsWith("| 02 "));
  const planted = readme.replace(/(\| 02 .*?teacher )63\.26 %/, "$198.95 %");
  assert.notEqual(planted, readme);
  const before = checkReadme(readme, notebooks);
  const after = checkReadme(planted, notebooks);
  assert.deepEqual(
    after.filter((f) => !before.some((b) => b.where === f.where && b.number === f.number))
      .map((f) => [f.where, f.number]),
    [[`README.md, line ${line + 1}`, "98.95"]],
  );
  assert.throws(() => checkReadme("# no results here\n", notebooks), /no "## Results" section/);
});

Deno.test("numbers match an output to the digits the prose gives", () => {
  assert.deepEqual(unaccounted("accuracy 97.58 %", "It scored 97.6 % and 97.58 %."), []);
  assert.deepEqual(unaccounted("accuracy 97.58 %", "It scored 97.5 % and 97.7 %."), [
    "97.5",
    "97.7",
  ]);
  // A percentage may be printed as a fraction; a number without "%" may not.
  assert.deepEqual(unaccounted("value 0.9758", "It scored 97.58 %, 97.58 times."), ["97.58"]);
  assert.deepEqual(unaccounted("60000 examples, 1,886.1 KiB", "60,000 images, 1,886 KiB"), []);
  // A duration is one number: "7:52" shows 7.87 minutes, not a 52.
  assert.deepEqual(unaccounted("done in 7:52", "about 8 minutes, not 52"), ["52"]);
  // Signs are the prose's business: "costs 0.53" may state an output's −0.53.
  assert.deepEqual(unaccounted("-0.53 pp", "costs 0.53 points"), []);
});

Deno.test("counts, constants, code, math, identifiers, dates and citations are not claims", () => {
  const prose = [
    "## 3 · The teacher",
    "1. three seeds, 10 epochs; `lr = 0.0042`; $x^{17}$ and $$\\frac{13}{29}$$",
    "float32, ResNet-50, AVX-512, 1e-5, 2026-12-06, (Romero et al., 2015), arXiv 1412.6550",
    "[a link](https://example.org/42.5) and <b title='77'>bold</b>, 255 grey levels",
  ].join("\n");
  assert.deepEqual(unaccounted("", prose), []);
  assert.deepEqual(unaccounted("", "a dollar amount: $29,500, and 11 more"), ["29,500", "11"]);
  // Per-notebook constants hold only for their notebook: 200 latency calls is 06's.
  const nb = notebook("", "the median of 200 calls");
  assert.deepEqual(checkNotebook(nb, "06", "nb"), []);
  assert.deepEqual(checkNotebook(nb, "01", "nb").map((f) => f.number), ["200"]);
});

Deno.test("numbersIn reads thousands, decimals and percentages as written", () => {
  assert.deepEqual(numbersIn("60,000 images at 97.58 % and 2.5×"), [
    { text: "60,000", value: 60000, decimals: 0, percent: false },
    { text: "97.58", value: 97.58, decimals: 2, percent: true },
    { text: "2.5", value: 2.5, decimals: 1, percent: false },
  ]);
  assert.deepEqual(outputNumbers(notebook("1,886.1 KiB; 0:45", "")), [0.75, 1886.1]);
});

Deno.test("a quote line exempts its figures and must name a source for each", () => {
  const line =
    "_Quoted figures_ · the tutorial's published page: 75.10, 69.86 % · Hinton et al.: 146";
  assert.deepEqual(parseQuoteLine(line)?.map((q) => [q.source, q.figures.map((f) => f.text)]), [
    ["the tutorial's published page", ["75.10", "69.86"]],
    ["Hinton et al.", ["146"]],
  ]);
  assert.equal(parseQuoteLine("Quoted figures are below"), null);
  assert.deepEqual(unaccounted("", `${line}\n\nThe tutorial's teacher: 75.10 %; ours 75.11 %.`), [
    "75.11",
  ]);
  assert.throws(
    () => parseQuoteLine("_Quoted figures_ · 75.10, 69.86"),
    /each part must read "source: figure, figure" \(got "75.10, 69.86"\)/,
  );
  assert.throws(() => parseQuoteLine("_Quoted figures_ · the tutorial:"), /got "the tutorial:"/);
});

Deno.test("a figure quoted from a repository file must be in that file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/run.json`, '{ "testAccuracy": 0.7308, "epochs": 10 }');
    const quotes = quotations([
      "_Quoted figures_ · a run, `run.json`: 73.08, 73.09\n\n_Quoted figures_ · `gone.json`: 1",
    ]);
    assert.deepEqual(await checkQuotedFiles(quotes, dir, "nb"), [
      {
        where: "nb",
        number: "73.09",
        problem: "is quoted from run.json, which does not hold it",
        context: "",
      },
      {
        where: "nb",
        number: "1",
        problem: "is quoted from gone.json, which does not exist",
        context: "",
      },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
