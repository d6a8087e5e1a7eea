/**
 * `deno task browser-test [--reports] [--jupyter] [--lab]`: the learner's view, in headless
 * Chromium with no network (scripts/browser/cdp.ts), after `deno task lessons` has written the
 * reports.
 *
 * 1. Every HTML report in build/html: each vega-lite chart of its executed notebook rendered
 *    (counted against the bundles), no console error, exception or foreign request; 01's
 *    temperature slider flattens the bars at a higher T; 05's heatmap cell and run legend select;
 *    the first screen saved as build/screenshots/<notebook>.png (scripts/browser/report_check.ts).
 * 2. Notebook 03 from a Jupyter Notebook page, Restart & Run All, with the Deno kernel this
 *    machine has registered (scripts/browser/jupyter_page.ts); KD_PROFILE defaults to quick here.
 * 3. The learner's clients, JupyterLab and Notebook 7 as `deno task lab` starts them: notebook 01
 *    run from the menu, every output under its own cell, the slider and tooltips, and notebook 04
 *    opened untrusted (scripts/browser/lab_check.ts).
 *
 * All run unless some are named. Exits 1 naming every failure.
 */
import { basename, join } from "node:path";
import { readSetting } from "../../lib/settings.ts";
import { describeRegistration, registerDenoKernel } from "../lessons/deno_kernel.ts";
import { Browser, chromiumPath, haveChromium } from "./cdp.ts";
import { jupyterNotebookPath, runNotebookInJupyter } from "./jupyter_page.ts";
import { checkLabClients, type LabResult } from "./lab_check.ts";
import {
  CELL_SELECTION_PARAM,
  checkReport,
  notebookForReport,
  type ReportResult,
  RUN_SELECTION_PARAM,
  TEMPERATURE_PARAM,
} from "./report_check.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SCREENSHOTS = join(ROOT, "build/screenshots");
const JUPYTER_NOTEBOOK = "03_tabular_people.ipynb";

/**
 * What the lessons' reports must let a reader do (issue 13): notebook-name prefix → params whose
 * check must have run there, so a chart that silently lost its slider fails too.
 */
export const REQUIRED_INTERACTIONS: Record<string, string[]> = {
  "01_": [TEMPERATURE_PARAM],
  "05_": [CELL_SELECTION_PARAM, RUN_SELECTION_PARAM],
};

/** Missing interactions of one report, as failure messages. */
export function missingInteractions(r: ReportResult): string[] {
  const name = basename(r.report);
  const need = Object.entries(REQUIRED_INTERACTIONS).find(([prefix]) => name.startsWith(prefix));
  const done = new Set([
    ...r.sliders.map(() => TEMPERATURE_PARAM),
    ...r.selections.map((s) => s.param),
  ]);
  return (need?.[1] ?? []).filter((p) => !done.has(p)).map((p) =>
    `${name}: no chart with the ${p} param was exercised (its notebook should have one)`
  );
}

function summary(r: ReportResult): string {
  const rendered = r.charts.filter((c) => c.status === "rendered").length;
  const parts = [`${rendered} of ${r.bundles.length} charts rendered`];
  for (const s of r.sliders) {
    const px = (h: number[], f: (...n: number[]) => number) => f(...h).toFixed(1);
    parts.push(
      `slider T ${s.low.T} → ${s.high.T}: tallest bar ${px(s.low.heights, Math.max)} → ` +
        `${px(s.high.heights, Math.max)} px, shortest ${px(s.low.heights, Math.min)} → ` +
        `${px(s.high.heights, Math.min)} px (softmax within ${s.maxSoftmaxError.toExponential(1)})`,
    );
  }
  for (const s of r.selections) parts.push(`${s.param} click: ${s.before} → ${s.after} selected`);
  for (const t of r.tooltips) {
    parts.push(`tooltip on a cell of chart ${t.chart}: "${t.text.replace(/\s+/g, " ").trim()}"`);
  }
  if (r.screenshot) parts.push(`screenshot ${r.screenshot.replace(ROOT, "")}`);
  return `${basename(r.report)}: ${parts.join("; ")}`;
}

async function checkReports(browser: Browser, failures: string[]): Promise<void> {
  const dir = join(ROOT, "build/html");
  const reports = await Array.fromAsync(Deno.readDir(dir)).then(
    (es) => es.filter((e) => e.name.endsWith(".html")).map((e) => join(dir, e.name)).sort(),
    () => [],
  );
  if (reports.length === 0) {
    failures.push("no HTML report in build/html: run `deno task lessons` first");
    return;
  }
  for (const report of reports) {
    const page = await browser.newPage();
    try {
      const notebook = await notebookForReport(ROOT, report);
      const stem = basename(report, ".html");
      const r = await checkReport(page, report, notebook, {
        screenshot: join(SCREENSHOTS, `${stem}.png`),
      });
      r.failures.push(...missingInteractions(r));
      console.log(`${r.failures.length ? "FAILED" : "ok"} ${summary(r)}`);
      failures.push(...r.failures);
    } catch (e) {
      failures.push(`${basename(report)}: ${(e as Error).message}`);
    } finally {
      await page.close();
    }
  }
}

async function checkJupyter(browser: Browser, failures: string[]): Promise<void> {
  if (!(await Deno.stat(jupyterNotebookPath()).then(() => true, () => false))) {
    failures.push(
      `no ${jupyterNotebookPath()}: the Jupyter-page check needs Debian's jupyter-notebook ` +
        "(apt-get install -y --no-install-recommends jupyter-notebook)",
    );
    return;
  }
  // The kernel the lessons register (idempotent): the page must run with exactly that one.
  const registration = await registerDenoKernel();
  console.log(describeRegistration(registration, Deno.execPath()));
  const page = await browser.newPage();
  try {
    const r = await runNotebookInJupyter(page, {
      root: ROOT,
      notebook: JUPYTER_NOTEBOOK,
      expectDeno: registration.deno,
      env: { KD_PROFILE: readSetting("KD_PROFILE") ?? "quick" },
      screenshot: join(SCREENSHOTS, `jupyter-${basename(JUPYTER_NOTEBOOK, ".ipynb")}.png`),
      log: console.log,
    });
    console.log(
      `${r.failures.length ? "FAILED" : "ok"} ${JUPYTER_NOTEBOOK} from a Jupyter page: ` +
        `kernel ${r.kernelName} (${r.kernelArgv0}), ${r.executed} of ${r.codeCells} cells run in ` +
        `${r.seconds.toFixed(0)} s, ${r.errors.length} error outputs, last table ` +
        `[${r.lastTableOnPage.slice(0, 4).join(" | ")}${
          r.lastTableOnPage.length > 4 ? " | …" : ""
        }]` +
        (r.screenshot ? `; screenshot ${r.screenshot.replace(ROOT, "")}` : ""),
    );
    for (const m of r.ignored) console.log(`  ignored, the Notebook app's own: ${m}`);
    failures.push(...r.failures);
  } finally {
    await page.close();
  }
}

function labSummary(r: LabResult): string {
  const parts = [
    `${r.executed} of ${r.cells} cells run from the menu in ${r.seconds.toFixed(0)} s`,
    `${r.errors.length} error outputs`,
    `${r.views} of ${r.vegaOutputs} charts are vega-embed views`,
    `slider ${r.sliderChanged ? "redraws" : "does NOT redraw"} its chart`,
    `tooltip "${(r.tooltip ?? "").replace(/\s+/g, " ").trim()}"${
      r.tooltipHasImg ? " WITH <img>" : ""
    }`,
    `04 untrusted: ${r.openedViews} of ${r.openedVegaOutputs} charts, tooltip "${
      (r.openedTooltip ?? "").replace(/\s+/g, " ").trim()
    }"`,
    `screenshots ${r.screenshots.map((s) => s.replace(ROOT, "")).join(", ")}`,
  ];
  return `${r.failures.length ? "FAILED" : "ok"} ${r.app}: ${parts.join("; ")}`;
}

async function checkLab(browser: Browser, failures: string[]): Promise<void> {
  const registration = await registerDenoKernel();
  console.log(describeRegistration(registration, Deno.execPath()));
  const t0 = performance.now();
  const results = await checkLabClients(browser, {
    root: ROOT,
    screenshots: SCREENSHOTS,
    env: { KD_PROFILE: readSetting("KD_PROFILE") ?? "quick" },
    log: console.log,
  });
  for (const r of results) {
    console.log(labSummary(r));
    failures.push(...r.failures.map((f) => `${r.app}: ${f}`));
  }
  console.log(`lab clients checked in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const PARTS = ["--reports", "--jupyter", "--lab"];

if (import.meta.main) {
  const only: string[] = Deno.args.filter((a) => PARTS.includes(a));
  const unknown = Deno.args.filter((a) => !only.includes(a));
  if (unknown.length) {
    console.error(`usage: deno task browser-test [${PARTS.join("] [")}] (got ${unknown})`);
    Deno.exit(2);
  }
  if (!(await haveChromium())) {
    console.error(
      `no Chromium at ${chromiumPath()}: install Debian's (apt-get install -y chromium) or set ` +
        "KD_CHROMIUM",
    );
    Deno.exit(1);
  }
  const failures: string[] = [];
  const browser = await Browser.launch();
  try {
    // Every check saves screenshots, whichever of them runs.
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    if (!only.length || only.includes("--reports")) await checkReports(browser, failures);
    if (!only.length || only.includes("--jupyter")) await checkJupyter(browser, failures);
    if (!only.length || only.includes("--lab")) await checkLab(browser, failures);
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(`\nbrowser test: ${failures.length} failure(s)`);
    for (const f of failures) console.error(`  ${f}`);
    Deno.exit(1);
  }
  console.log("browser test: ok");
}
