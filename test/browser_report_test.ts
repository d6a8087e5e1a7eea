/**
 * The HTML report's charts in headless Chromium, offline, on a small fixture notebook written here
 * through the real template (scripts/lessons/report_html.py) with the pinned vega builds inlined:
 * the temperature slider (lib/charts/temperature.ts's chart) flattens the bars at a higher T and
 * its softmax is ours; a heatmap cell shows its tooltip on hover and is selected by a click; with scripts off every chart is its SVG; and the checker finds a chart
 * whose spec is broken, a slider that sharpens instead, and a report written without its scripts.
 *
 * Skipped where there is no Chromium (KD_CHROMIUM names another binary) or no Python with
 * nbconvert (`deno task lessons` installs one), unless KD_REQUIRE_BROWSER is set (.ci/run);
 * `deno task browser-test` runs the same checker on the lessons' reports.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { barChart } from "../lib/charts/bar.ts";
import { heatmapChart } from "../lib/charts/heatmap.ts";
import { type ChartSpec, VEGA_LITE_MIME } from "../lib/charts/spec.ts";
import { temperatureSliderChart } from "../lib/charts/temperature.ts";
import { chartBundle } from "../lib/notebook/display.ts";
import { settingIsOn } from "../lib/settings.ts";
import { Browser, haveChromium, type Page } from "../scripts/browser/cdp.ts";
import { chartBundles, checkReport, type ReportResult } from "../scripts/browser/report_check.ts";
import { machineProbes, VENV_DIR } from "../scripts/lessons/jupyter_setup.ts";
import { reportScripts } from "../scripts/lessons/report_assets.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const probes = machineProbes(join(ROOT, VENV_DIR));
const python = ((await probes.venvClient()) ?? (await probes.systemClient()))?.python;
const chromium = await haveChromium();
const ignore = !chromium || !python;
if (ignore) {
  const why = `${!chromium ? "no Chromium (KD_CHROMIUM)" : ""}` +
    `${!chromium && !python ? " and " : ""}${!python ? "no Python with nbconvert" : ""}`;
  // .ci/run sets KD_REQUIRE_BROWSER where both are installed: a skip there would hide a failure.
  if (settingIsOn("KD_REQUIRE_BROWSER")) {
    throw new Error(`browser report tests cannot run: ${why}`);
  }
  console.log(`browser report tests skipped: ${why}`);
}

const EXAMPLES = [
  { label: "image 0 (label 7)", logits: [-2.1, 0.3, 1.2, 0.8, -3.0, -0.4, -5.2, 9.7, -1.1, 2.4] },
  { label: "image 1 (label 2)", logits: [0.2, 1.9, 7.4, 3.1, -2.2, -1.5, 0.7, -0.6, 2.8, -3.3] },
];

/** The same chart computing softmax(z · T): sharper as T grows, which the check must catch. */
function sharpeningSlider(): ChartSpec {
  const spec = temperatureSliderChart(EXAMPLES, { title: "wrong way" });
  const transform = (spec.transform ?? []).map((t) =>
    "calculate" in t && t.as === "scaled" ? { ...t, calculate: "datum.logit * T" } : t
  );
  return { ...spec, transform };
}

type Output = Record<string, unknown>;

async function chartOutput(spec: ChartSpec, replaceSpec?: unknown): Promise<Output> {
  const data: Record<string, unknown> = { ...(await chartBundle(spec, { png: false })) };
  if (replaceSpec !== undefined) data[VEGA_LITE_MIME] = replaceSpec;
  return { output_type: "display_data", data, metadata: {} };
}

function notebook(outputs: Output[][]): unknown {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "intro", metadata: {}, source: "# Fixture report\n\n$x^2$" },
      ...outputs.map((o, i) => ({
        cell_type: "code",
        id: `c${i}`,
        metadata: {},
        execution_count: i + 1,
        source: `// chart cell ${i}`,
        outputs: o,
      })),
    ],
  };
}

/** Writes `name`.ipynb and its report into `dir`; returns both paths. */
async function writeReport(
  dir: string,
  name: string,
  nb: unknown,
  withScripts = true,
): Promise<{ html: string; ipynb: string }> {
  const ipynb = join(dir, `${name}.ipynb`);
  await Deno.writeTextFile(ipynb, JSON.stringify(nb));
  const scripts = withScripts
    ? (await reportScripts(ROOT)).flatMap((s) => ["--report-script", s.path])
    : [];
  const out = await new Deno.Command(python!, {
    args: [join(ROOT, "scripts/lessons/report_html.py"), "--out-dir", dir, ...scripts, ipynb],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return { html: join(dir, `${name}.html`), ipynb };
}

async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  const browser = await Browser.launch();
  try {
    return await fn(await browser.newPage());
  } finally {
    await browser.close();
  }
}

Deno.test({
  name:
    "report: charts render from their specs offline; T flattens; a heatmap cell shows and selects",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kd-report-" });
    try {
      const slider = temperatureSliderChart(EXAMPLES);
      const bars = barChart([{ label: "teacher", value: 0.98 }, { label: "student", value: 0.96 }]);
      const sweep = heatmapChart([
        { x: 1, y: 0.1, value: 0.91, sd: 0.012, seeds: 3 },
        { x: 4, y: 0.1, value: 0.93, sd: 0.008, seeds: 3 },
      ], { title: "sweep" });
      const nb = notebook([
        [await chartOutput(slider)],
        [await chartOutput(bars)],
        [await chartOutput(sweep)],
      ]);
      const { html, ipynb } = await writeReport(dir, "good", nb);
      const source = await Deno.readTextFile(html);
      assert.doesNotMatch(source, /<script[^>]+src="https?:/, "no script from a network");
      assert.equal((source.match(/class="kd-chart-fallback"/g) ?? []).length, 3, "SVG fallbacks");

      const shot = join(dir, "good.png");
      const r: ReportResult = await withPage((page) =>
        checkReport(page, html, ipynb, { screenshot: shot })
      );
      assert.deepEqual(r.failures, []);
      assert.equal(r.bundles.length, 3);
      assert.deepEqual(r.charts.map((c) => c.status), ["rendered", "rendered", "rendered"]);
      // The heatmap: hovering a cell shows its mean, sd and seeds; clicking selects it.
      assert.deepEqual(r.selections.map((x) => [x.param, x.before, x.after]), [[
        "cellSelect",
        0,
        1,
      ]]);
      assert.equal(r.tooltips.length, 1);
      assert.match(r.tooltips[0].text, /91\.0\s*%[\s\S]*1\.2\s*%[\s\S]*seeds\s*3/);
      assert.equal(r.sliders.length, 1);
      const [s] = r.sliders;
      assert.equal(s.low.T, 1);
      assert.equal(s.high.T, 10);
      assert.equal(s.low.heights.length, 20);
      assert.ok(Math.max(...s.high.heights) < Math.max(...s.low.heights));
      assert.ok(Math.min(...s.high.heights) > Math.min(...s.low.heights));
      assert.ok(s.maxSoftmaxError < 1e-9, `${s.maxSoftmaxError}`);
      assert.ok((await Deno.stat(shot)).size > 5_000);

      // With scripts off the reader gets every chart's SVG, drawn at full size.
      const fallbacks = await withPage(async (page) => {
        await page.send("Emulation.setScriptExecutionDisabled", { value: true });
        await page.goto(new URL(`file://${html}`).href);
        return await page.evaluate<number[]>(
          `[...document.querySelectorAll(".kd-chart")].map((n) => n.querySelector(` +
            `".kd-chart-embed") ? -1 : n.querySelector(".kd-chart-fallback svg")` +
            `.getBoundingClientRect().height)`,
        );
      });
      assert.equal(fallbacks.length, 3);
      for (const h of fallbacks) assert.ok(h > 100, `fallback SVG ${h} px high`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "report: a broken spec, a sharpening slider and a script-less report all fail the check",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kd-report-" });
    try {
      const bars = barChart([{ label: "a", value: 1 }, { label: "b", value: 2 }], {
        title: "Broken on purpose",
      });
      // Its first layer's mark is one vega-lite does not know.
      const broken: { layer: { mark: unknown }[] } = structuredClone(bars) as never;
      broken.layer[0].mark = { type: "nosuchmark" };
      // And one whose bars read a field the data does not have (vega-lite says nothing).
      const noField: { layer: { encoding: { y: { field: string } } }[] } = structuredClone(
        bars,
      ) as never;
      noField.layer[0].encoding.y.field = "nosuchfield";
      const nb = notebook([
        [await chartOutput(temperatureSliderChart(EXAMPLES))],
        [await chartOutput(bars, broken)],
        [await chartOutput(sharpeningSlider())],
        [await chartOutput(bars, noField)],
      ]);
      assert.equal(chartBundles(nb as Parameters<typeof chartBundles>[0]).length, 4);
      const { html, ipynb } = await writeReport(dir, "bad", nb);
      await Deno.mkdir(join(dir, "static"));
      const plain = await writeReport(join(dir, "static"), "bad", nb, false);
      const [r, s] = await withPage(async (page) => [
        await checkReport(page, html, ipynb),
        await checkReport(page, plain.html, plain.ipynb),
      ]);
      assert.deepEqual(r.charts.map((c) => c.status), ["rendered", "failed", "rendered", "failed"]);
      assert.ok(r.failures.includes("bad.html: 2 of the notebook's 4 vega-lite charts rendered"));
      const notRendered = r.failures.find((f) => f.includes("chart 1 (cell 2"));
      assert.match(
        notRendered ?? "",
        /"Broken on purpose"\) not rendered \(failed\): ./,
      );
      assert.ok(
        r.failures.some((f) => /console\.error: chart 1 .* kept its static SVG/.test(f)),
        "the page's console error is reported",
      );
      assert.ok(r.failures.some((f) => /chart 2 \("wrong way"\): the tallest bar/.test(f)));
      assert.ok(r.failures.some((f) => /chart 2 \("wrong way"\): .*differ from softmax/.test(f)));
      assert.ok(
        r.failures.some((f) =>
          /chart 3 \(cell 4, "Broken on purpose"\) not rendered \(failed\): .*"nosuchfield/.test(f)
        ),
        r.failures.join("\n"),
      );
      assert.ok(!r.failures.some((f) => f.includes("chart 0 (")), r.failures.join("\n"));

      // Without the scripts the page shows its SVGs, and the check says no chart rendered.
      assert.deepEqual(s.charts, []);
      assert.match(s.failures.join("\n"), /window\.kdReport is missing/);
      assert.match(s.failures.join("\n"), /0 of the notebook's 4 vega-lite charts rendered/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
