/**
 * What a reader of an HTML report sees, checked in a real browser: every chart bundle of the
 * executed notebook is rendered from its vega-lite spec (counted against the bundles), nothing went
 * wrong on the page, and the interactive charts respond: moving a temperature slider (a param `T`
 * bound to a range input, as lib/charts/temperature.ts's temperatureSliderChart makes) must make
 * the bars flatter, hovering a heatmap cell must show its tooltip and clicking it must fill its
 * point selection (`cellSelect`), and clicking a training curve's legend must pick a run
 * (`runSelect`).
 *
 * The page side is the report's runtime, scripts/lessons/nbconvert_template/embed_charts.js, which leaves
 * each chart's status and vega view in `window.kdReport`. The functions run in the page are plain
 * functions serialised with toString (Deno strips their types), so they must use nothing from
 * this module's scope.
 */
import { basename, isAbsolute, join } from "node:path";
import { softmax } from "../../lib/softmax.ts";
import type { Page } from "./cdp.ts";

/** The MIME type of a chart's spec in a notebook output (lib/charts/spec.ts's VEGA_LITE_MIME). */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
/** Param names the lesson charts use (lib/charts/temperature.ts, heatmap.ts, history.ts). */
export const TEMPERATURE_PARAM = "T";
export const CELL_SELECTION_PARAM = "cellSelect";
export const RUN_SELECTION_PARAM = "runSelect";

/** One chart output of a notebook. */
export interface ChartBundle {
  /** Index of the cell in the notebook. */
  cell: number;
  title: string;
  /** Names of the params anywhere in its spec (sliders and selections). */
  params: string[];
  /** The T param's range binding, where the chart has one. */
  temperatureRange?: { min: number; max: number; value: number };
}

interface NotebookJson {
  cells: { outputs?: { data?: Record<string, unknown> }[] }[];
}

type JsonValue = unknown;

function titleOf(spec: Record<string, JsonValue>): string {
  const t = spec.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && "text" in t) {
    const text = (t as { text: unknown }).text;
    return Array.isArray(text) ? text.join(" ") : String(text);
  }
  return "";
}

interface ParamJson {
  name?: string;
  value?: number;
  bind?: { input?: string; min?: number; max?: number };
}

function paramsOf(node: JsonValue, into: ParamJson[] = []): ParamJson[] {
  if (Array.isArray(node)) { for (const v of node) paramsOf(v, into); }
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "params" && Array.isArray(v)) into.push(...(v as ParamJson[]));
      else paramsOf(v, into);
    }
  }
  return into;
}

/** The vega-lite bundles of a notebook, in output order (the report's document order). */
export function chartBundles(notebook: NotebookJson): ChartBundle[] {
  const bundles: ChartBundle[] = [];
  notebook.cells.forEach((cell, index) => {
    for (const out of cell.outputs ?? []) {
      const spec = out.data?.[VEGA_LITE_MIME] as Record<string, JsonValue> | undefined;
      if (!spec) continue;
      const params = paramsOf(spec);
      const t = params.find((p) => p.name === TEMPERATURE_PARAM && p.bind?.input === "range");
      bundles.push({
        cell: index,
        title: titleOf(spec),
        params: params.map((p) => p.name ?? ""),
        ...(t
          ? {
            temperatureRange: {
              min: t.bind!.min ?? 0,
              max: t.bind!.max ?? 0,
              value: t.value ?? 1,
            },
          }
          : {}),
      });
    }
  });
  return bundles;
}

/** The report runtime's view of one chart (embed_charts.js). */
export interface RenderedChart {
  index: number;
  title: string;
  status: "pending" | "rendered" | "failed" | "static";
  error: string | null;
}

/** Bars of one chart at one T, as drawn. */
export interface BarsAt {
  T: number;
  /** Rendered bar heights in pixels, in scenegraph order. */
  heights: number[];
  /** Each bar's datum: its panel, raw logit and the chart's computed probability. */
  bars: { example: string; logit: number; probability: number }[];
}

/** What moving one temperature slider did. */
export interface SliderResult {
  chart: number;
  title: string;
  low: BarsAt;
  high: BarsAt;
  /** Largest |chart probability − softmax(z / T)| at either T, our softmax computed here. */
  maxSoftmaxError: number;
}

/** What hovering a heatmap cell showed: vega-tooltip's text. */
export interface TooltipResult {
  chart: number;
  title: string;
  text: string;
}

/** What clicking one selection did: the selection's stored tuples before and after. */
export interface SelectionResult {
  chart: number;
  title: string;
  param: string;
  before: number;
  after: number;
}

export interface ReportResult {
  report: string;
  notebook: string;
  bundles: ChartBundle[];
  charts: RenderedChart[];
  problems: string[];
  sliders: SliderResult[];
  selections: SelectionResult[];
  tooltips: TooltipResult[];
  screenshot?: string;
  /** Everything wrong, one message each; empty when the report passes. */
  failures: string[];
}

// ---- functions run in the page ----

// The page's DOM as far as those functions use it: this module is type-checked without lib.dom
// (Deno's), and these declarations stay in this module.
interface PageElement {
  querySelector(selector: string): PageElement | null;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
  scrollIntoView(options: { block: string }): void;
  dispatchEvent(event: Event): boolean;
  value?: string;
  className: string;
  innerText: string;
}
declare const document: {
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  getElementById(id: string): PageElement | null;
};

interface SceneMark {
  marktype: string;
  role: string;
  items: SceneItem[];
}
interface SceneItem {
  height?: number;
  datum?: Record<string, unknown>;
  items?: SceneMark[];
}
interface VegaView {
  data(name: string): unknown[];
  signal(name: string, value?: unknown): unknown;
  runAsync(): Promise<unknown>;
  scenegraph(): { root: SceneMark };
}
interface KdReport {
  ready: Promise<number>;
  charts: (RenderedChart & { view: VegaView | null })[];
}

/** In the page: waits for every embed, returns the charts without their views. */
function pageCharts(): Promise<RenderedChart[]> {
  const report = (globalThis as unknown as { kdReport?: KdReport }).kdReport;
  if (!report) return Promise.reject(new Error("window.kdReport is missing: no embed runtime"));
  return report.ready.then(() =>
    report.charts.map((c) => ({ index: c.index, title: c.title, status: c.status, error: c.error }))
  );
}

/** In the page: sets chart `index`'s T slider to `value` as a user would, then reads its bars. */
async function pageMoveSlider(index: number, name: string, value: number): Promise<BarsAt> {
  const report = (globalThis as unknown as { kdReport: KdReport }).kdReport;
  const view = report.charts[index].view!;
  const node = document.querySelectorAll(".kd-chart")[index];
  const input = node.querySelector(`.vega-bindings input[type=range][name="${name}"]`) ??
    node.querySelector(".vega-bindings input[type=range]");
  if (!input) throw new Error(`chart ${index} has no range input for ${name}`);
  input.value = String(value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await view.runAsync();
  const T = Number(view.signal(name));
  const heights: number[] = [];
  const bars: BarsAt["bars"] = [];
  const walk = (mark: SceneMark) => {
    for (const item of mark.items ?? []) {
      if (mark.marktype === "rect" && mark.role === "mark" && item.datum) {
        heights.push(item.height ?? 0);
        bars.push({
          example: String(item.datum.example),
          logit: Number(item.datum.logit),
          probability: Number(item.datum.probability),
        });
      }
      for (const child of item.items ?? []) walk(child);
    }
  };
  walk(view.scenegraph().root);
  return { T, heights, bars };
}

/** In the page: the number of tuples `param`'s selection holds in chart `index`. */
async function pageStore(index: number, param: string): Promise<number> {
  const report = (globalThis as unknown as { kdReport: KdReport }).kdReport;
  const view = report.charts[index].view!;
  await view.runAsync();
  return view.data(`${param}_store`).length;
}

/**
 * In the page: scrolls the first element of chart `index` matching `selector` (a heatmap cell, a
 * legend symbol) into view and returns its centre in viewport pixels, where the mouse goes.
 */
function pageTarget(index: number, selector: string): { x: number; y: number } {
  const node = document.querySelectorAll(".kd-chart")[index];
  const target = node.querySelector(`.kd-chart-embed ${selector}`);
  if (!target) throw new Error(`chart ${index} has no ${selector} to point at`);
  target.scrollIntoView({ block: "center" });
  const box = target.getBoundingClientRect();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** In the page: vega-tooltip's box, when it is showing. */
function pageTooltip(): string | null {
  const tip = document.getElementById("vg-tooltip-element");
  return tip && tip.className.includes("visible") ? tip.innerText : null;
}

// ---- the checks ----

function softmaxError(at: BarsAt): number {
  const byImage = new Map<string, { logit: number; probability: number }[]>();
  for (const b of at.bars) byImage.set(b.example, [...(byImage.get(b.example) ?? []), b]);
  let worst = 0;
  for (const bars of byImage.values()) {
    const want = softmax(bars.map((b) => b.logit), at.T);
    bars.forEach((b, i) => (worst = Math.max(worst, Math.abs(b.probability - want[i]))));
  }
  return worst;
}

/** The slider's verdict: flatter at the higher T, and the chart's softmax is ours. */
export function sliderFailures(s: SliderResult): string[] {
  const name = `chart ${s.chart} ("${s.title}")`;
  const { low, high } = s;
  if (low.heights.length === 0 || low.heights.length !== high.heights.length) {
    return [
      `${name}: ${low.heights.length} bars at T = ${low.T}, ${high.heights.length} at T = ${high.T}`,
    ];
  }
  const failures: string[] = [];
  const maxLow = Math.max(...low.heights), maxHigh = Math.max(...high.heights);
  const minLow = Math.min(...low.heights), minHigh = Math.min(...high.heights);
  if (!(maxHigh < maxLow)) {
    failures.push(
      `${name}: the tallest bar is ${maxHigh.toFixed(1)} px at T = ${high.T} and ` +
        `${maxLow.toFixed(1)} px at T = ${low.T}; a higher T should flatten it`,
    );
  }
  if (!(minHigh > minLow)) {
    failures.push(
      `${name}: the shortest bar is ${minHigh.toFixed(1)} px at T = ${high.T} and ` +
        `${minLow.toFixed(1)} px at T = ${low.T}; a higher T should raise it`,
    );
  }
  if (!(s.maxSoftmaxError < 1e-9)) {
    failures.push(
      `${name}: the chart's probabilities differ from softmax(z / T) by ${s.maxSoftmaxError}`,
    );
  }
  return failures;
}

/** In the page: resolves once MathJax 2 (if the page has it) has typeset, its message box gone. */
const MATHJAX_DONE = `new Promise((resolve) => {
  const done = () => { document.getElementById("MathJax_Message")?.remove(); resolve(true); };
  const hub = globalThis.MathJax && globalThis.MathJax.Hub;
  hub ? hub.Queue(done) : done();
})`;

/** Options for `checkReport`. */
export interface CheckReportOptions {
  /** Where the first screen's PNG goes (none when omitted); a slider's goes beside it. */
  screenshot?: string;
  /** How long the embeds may take in all (default 60 s). */
  timeoutMs?: number;
}

/**
 * Opens the report `htmlPath` (executed from `notebookPath`) in `page` and checks it; never
 * throws for what it finds, which goes into `failures`.
 */
export async function checkReport(
  page: Page,
  htmlPath: string,
  notebookPath: string,
  options: CheckReportOptions = {},
): Promise<ReportResult> {
  const bundles = chartBundles(JSON.parse(await Deno.readTextFile(notebookPath)));
  const result: ReportResult = {
    report: htmlPath,
    notebook: notebookPath,
    bundles,
    charts: [],
    problems: [],
    sliders: [],
    selections: [],
    tooltips: [],
    failures: [],
  };
  const start = page.problems.length;
  try {
    await page.goto(new URL(`file://${htmlPath}`).href);
    result.charts = await page.evaluate<RenderedChart[]>(
      `(${pageCharts})()`,
      options.timeoutMs ?? 60_000,
    );
  } catch (e) {
    result.failures.push(`${basename(htmlPath)}: ${(e as Error).message}`);
  }
  const name = basename(htmlPath);
  const rendered = result.charts.filter((c) => c.status === "rendered");
  if (rendered.length !== bundles.length) {
    result.failures.push(
      `${name}: ${rendered.length} of the notebook's ${bundles.length} vega-lite charts rendered`,
    );
  }
  for (const c of result.charts) {
    if (c.status !== "rendered") {
      const cell = bundles[c.index]?.cell;
      result.failures.push(
        `${name}: chart ${c.index} (cell ${cell ?? "?"}, "${c.title}") not rendered ` +
          `(${c.status}): ${c.error}`,
      );
    }
  }
  // The first screen as it opened, before the checks below move sliders and click; once MathJax
  // has typeset, without its progress box.
  if (options.screenshot) {
    await page.evaluate(MATHJAX_DONE, options.timeoutMs ?? 60_000);
    await Deno.mkdir(join(options.screenshot, ".."), { recursive: true });
    await page.screenshot(options.screenshot);
    result.screenshot = options.screenshot;
  }
  // Only where the report's charts line up with the notebook's bundles can a bundle's params
  // name a chart on the page.
  const aligned = result.charts.length === bundles.length;
  if (aligned) {
    for (const [i, b] of bundles.entries()) {
      if (result.charts[i].status !== "rendered") continue;
      try {
        if (b.temperatureRange) {
          const { min, max, value } = b.temperatureRange;
          const high = Math.min(max, Math.max(value * 10, min));
          const lowAt = await page.evaluate<BarsAt>(
            `(${pageMoveSlider})(${i}, "${TEMPERATURE_PARAM}", ${value})`,
          );
          const highAt = await page.evaluate<BarsAt>(
            `(${pageMoveSlider})(${i}, "${TEMPERATURE_PARAM}", ${high})`,
          );
          if (options.screenshot && result.sliders.length === 0) {
            // The slider at the higher T, for a person to look at beside the first screen.
            await page.evaluate(
              `document.querySelectorAll(".kd-chart")[${i}].scrollIntoView({ block: "center" })`,
            );
            await page.screenshot(options.screenshot.replace(/\.png$/, "-slider.png"));
          }
          const slider: SliderResult = {
            chart: i,
            title: b.title,
            low: lowAt,
            high: highAt,
            maxSoftmaxError: Math.max(softmaxError(lowAt), softmaxError(highAt)),
          };
          result.sliders.push(slider);
          result.failures.push(...sliderFailures(slider).map((f) => `${name}: ${f}`));
        }
        for (
          const [param, selector] of [
            [CELL_SELECTION_PARAM, "g.mark-rect.role-mark path"],
            [RUN_SELECTION_PARAM, "g.role-legend-symbol path"],
          ] as const
        ) {
          if (!b.params.includes(param)) continue;
          // The real mouse (DevTools input events), as a reader's hover and click arrive.
          const at = await page.evaluate<{ x: number; y: number }>(
            `(${pageTarget})(${i}, ${JSON.stringify(selector)})`,
          );
          const before = await page.evaluate<number>(`(${pageStore})(${i}, "${param}")`);
          await page.hover(at);
          if (param === CELL_SELECTION_PARAM) {
            // The heatmap's tooltip says what the cell holds (vega-tooltip shows it on hover).
            const text = await page.waitFor<string | null>(
              `(${pageTooltip})()`,
              5_000,
              `chart ${i}'s tooltip on hovering a cell`,
            ).catch(() => null);
            if (text) result.tooltips.push({ chart: i, title: b.title, text });
            else {
              result.failures.push(
                `${name}: chart ${i} ("${b.title}"): no tooltip on hovering a heatmap cell`,
              );
            }
          }
          await page.click(at);
          const after = await page.evaluate<number>(`(${pageStore})(${i}, "${param}")`);
          result.selections.push({ chart: i, title: b.title, param, before, after });
          if (!(before === 0 && after === 1)) {
            result.failures.push(
              `${name}: chart ${i} ("${b.title}"): a click should select one ${param} tuple; ` +
                `the store held ${before} before and ${after} after`,
            );
          }
        }
      } catch (e) {
        result.failures.push(`${name}: chart ${i} ("${b.title}"): ${(e as Error).message}`);
      }
    }
  }
  result.problems = page.problems.slice(start).map((p) => `${p.kind}: ${p.text}`);
  result.failures.push(...result.problems.map((p) => `${name}: ${p}`));
  return result;
}

/**
 * The executed notebook a report came from: the one its <meta name="kd-notebook"> names
 * (scripts/lessons/report_html.py records it, relative to the repository root where it was given so),
 * else build/notebooks/<name>.ipynb, else notebooks/<name>.ipynb.
 */
export async function notebookForReport(root: string, htmlPath: string): Promise<string> {
  const html = await Deno.readTextFile(htmlPath);
  const meta = html.match(/<meta name="kd-notebook" content="([^"]*)">/)?.[1]
    ?.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const stem = basename(htmlPath).replace(/\.html$/, "");
  const candidates = meta
    ? [isAbsolute(meta) ? meta : join(root, meta)]
    : ["build/notebooks", "notebooks"].map((dir) => join(root, dir, `${stem}.ipynb`));
  for (const path of candidates) {
    if (await Deno.stat(path).then(() => true, () => false)) return path;
  }
  throw new Error(`${htmlPath}: its notebook is not there (looked for ${candidates.join(", ")})`);
}
