/**
 * The learner's clients in a real browser (issue 28): JupyterLab 4 and Notebook 7, each started by
 * `deno task lab`'s own code (scripts/lessons/jupyter_server.ts) from the project venv, in headless
 * Chromium with no network (cdp.ts). In each:
 *
 * 1. notebook 01, Run All through the menu (Run → Run All Cells, clicked with the mouse), in the
 *    quick profile, until every code cell has run and the kernel is idle; then no cell has error
 *    output, each console line sits under the cell that prints it (the parameter-count line under
 *    the summary cell), every vega-lite output is a vega-embed view, moving the temperature slider
 *    from 1 to 10 redraws its chart, and hovering a bar shows a tooltip of text with no <img>;
 * 2. the committed notebook 04, opened without running (untrusted): all its charts are views and
 *    one shows a text tooltip.
 *
 * Screenshots: build/screenshots/<app>-01-slider-T1.png and -T10.png, <app>-01-tooltip.png and
 * <app>-04.png. The notebooks are copies in a temporary tree (jupyter_page.ts's notebookTree),
 * and Jupyter's config, runtime and settings folders are temporary too; the settings turn off
 * JupyterLab's notebook windowing so every cell stays in the page to be checked.
 */
import { join } from "node:path";
import { LAB_CLIENT, setUpJupyter } from "../lessons/jupyter_setup.ts";
import {
  APP_NAMES,
  type JupyterApp,
  type JupyterServer,
  startJupyterServer,
} from "../lessons/jupyter_server.ts";
import type { Browser, Page } from "./cdp.ts";
import { notebookTree } from "./jupyter_page.ts";
import { VEGA_LITE_MIME } from "./report_check.ts";

/**
 * Exceptions the client pages throw by themselves, with any notebook: Notebook 7.6.3 fails to
 * read one plugin's settings schema while it loads (also with empty settings and config folders),
 * and both clients' debugger panel asks the Deno kernel, which has no debugger, for its modules on
 * every kernel message.
 */
export const CLIENT_NOISE: readonly RegExp[] = [
  /^Error: No active debugger session\n\s+at \S+\.displayModules /,
  /^TypeError: Cannot read properties of undefined \(reading 'schema'\)\n\s+at \S+\/static\/notebook\/notebook_core\./,
];

export const LAB_RUN_NOTEBOOK = "01_mnist_teacher_student.ipynb";
export const LAB_OPEN_NOTEBOOK = "04_cifar10_kd_tutorial.ipynb";

/** One code cell as the page's notebook model holds it. */
export interface PageCell {
  index: number;
  source: string;
  executionCount: number | null;
  outputs: { output_type: string; name?: string; text?: string | string[]; ename?: string }[];
  vegaOutputs: number;
}

function streamText(cell: PageCell): string {
  return cell.outputs.filter((o) => o.output_type === "stream")
    .map((o) => Array.isArray(o.text) ? o.text.join("") : o.text ?? "").join("");
}

/**
 * Console lines that sit under the wrong cell: a `console.log(\`prefix…` in a cell's source must
 * print a line starting with that prefix under that cell and no other; a `.summary(` must leave
 * tfjs's "Trainable params" line there. Prefixes shorter than 4 characters are not checked.
 */
export function misplacedOutput(cells: PageCell[]): string[] {
  const problems: string[] = [];
  const lines = cells.map((c) => streamText(c).split("\n"));
  cells.forEach((cell, i) => {
    const prefixes = [...cell.source.matchAll(/console\.log\(\s*`([^`$]*)/g)]
      .map((m) => m[1]).filter((p) => p.trim().length >= 4);
    if (/\.summary\(/.test(cell.source)) prefixes.push("Trainable params");
    for (const prefix of prefixes) {
      if (!lines[i].some((l) => l.startsWith(prefix))) {
        problems.push(
          `cell ${cell.index}: no output line starts with "${prefix}", which it prints`,
        );
      }
      cells.forEach((other, j) => {
        if (j !== i && lines[j].some((l) => l.startsWith(prefix))) {
          problems.push(
            `cell ${other.index} shows a line starting with "${prefix}", printed by cell ${cell.index}`,
          );
        }
      });
    }
  });
  return problems;
}

/** What one client showed. */
export interface LabResult {
  app: JupyterApp;
  seconds: number;
  cells: number;
  executed: number;
  errors: string[];
  views: number;
  vegaOutputs: number;
  sliderChanged: boolean;
  tooltip?: string;
  tooltipHasImg?: boolean;
  openedViews?: number;
  openedVegaOutputs?: number;
  openedTrusted?: boolean;
  openedTooltip?: string;
  screenshots: string[];
  failures: string[];
}

// ---- run in the page (plain JavaScript: JupyterLab's objects are not typed here) ----

/** The notebook panel's state: loaded, kernel status, each code cell. */
const PAGE_STATE = `(() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const notebook = panel && panel.content;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session &&
    panel.sessionContext.session.kernel;
  if (!notebook || !notebook.widgets || !notebook.model || !kernel) return { loaded: false };
  const cells = [];
  notebook.widgets.forEach((w, index) => {
    if (w.model.type !== "code") return;
    const source = w.model.sharedModel.getSource();
    if (!source.trim()) return;
    const outputs = w.model.outputs.toJSON();
    cells.push({
      index,
      source,
      executionCount: w.model.executionCount,
      outputs,
      vegaOutputs: outputs.filter((o) => o.data && o.data["${VEGA_LITE_MIME}"]).length,
      running: w.promptNode ? w.promptNode.textContent.includes("*") : false,
      trusted: w.model.trusted,
    });
  });
  return { loaded: true, status: kernel.status, cells };
})()`;

/** vega-embed's views in the notebook, as [node, view] of JupyterLab's renderer widgets. */
const PAGE_VIEWS = `(() => {
  const found = [];
  const walk = (w) => {
    if (w._result && w._result.view) found.push({ node: w.node, view: w._result.view });
    const children = w.children ? [...w.children()] : [];
    for (const c of children) walk(c);
  };
  walk(window.jupyterapp.shell.currentWidget.content);
  return found;
})()`;

/** The page position of the tallest mark item of view `i` (a bar, a cell, a point). */
function markTarget(i: number, markType: string): string {
  return `(() => {
    const { node, view } = ${PAGE_VIEWS}[${i}];
    node.scrollIntoView({ block: "center" });
    const canvas = node.querySelector("canvas");
    const box = (canvas || node.querySelector("svg")).getBoundingClientRect();
    const [ox, oy] = view.origin();
    let best = null;
    const visit = (mark, dx, dy) => {
      for (const item of mark.items || []) {
        if (mark.marktype === "${markType}" && mark.role === "mark" && item.datum) {
          const h = item.height || 6;
          if (!best || h > best.h) {
            best = {
              h,
              x: box.left + ox + dx + (item.x || 0) + (item.width || 0) / 2,
              y: box.top + oy + dy + (item.y || 0) + (item.height || 0) / 2,
            };
          }
        }
        for (const child of item.items || []) visit(child, dx + (item.x || 0), dy + (item.y || 0));
      }
    };
    visit(view.scenegraph().root, 0, 0);
    return best && { x: best.x, y: best.y };
  })()`;
}

/** vega-tooltip's box while it shows: its text and whether it holds an image. */
const PAGE_TOOLTIP = `(() => {
  const tip = document.getElementById("vg-tooltip-element");
  if (!tip || !tip.className.includes("visible")) return null;
  return { text: tip.innerText, img: tip.querySelector("img") !== null };
})()`;

/** What view `i` draws now (its canvas as a data URL, or its SVG). */
function rendering(i: number): string {
  return `(() => {
    const { node } = ${PAGE_VIEWS}[${i}];
    const canvas = node.querySelector("canvas");
    return canvas ? canvas.toDataURL() : node.querySelector("svg").outerHTML;
  })()`;
}

// ---- input, as a person gives it ----

/** The mouse moves to `at`, then clicks: the menus open on a click where the pointer is. */
async function click(page: Page, at: { x: number; y: number }): Promise<void> {
  await page.hover(at);
  await page.click(at);
}

function centerOf(selector: string, text?: string): string {
  return `(() => {
    const all = [...document.querySelectorAll(${JSON.stringify(selector)})];
    const el = all.find((e) => ${
    text === undefined ? "true" : `e.textContent.trim() === ${JSON.stringify(text)}`
  });
    if (!el) return null;
    const b = el.getBoundingClientRect();
    return b.width > 0 ? { x: b.x + b.width / 2, y: b.y + b.height / 2 } : null;
  })()`;
}

/** Run → Run All Cells in the menu bar, with the mouse. */
async function runAllFromMenu(page: Page): Promise<void> {
  const run = await page.waitFor<{ x: number; y: number }>(
    centerOf(".lm-MenuBar-item", "Run"),
    30_000,
    "the Run menu in the menu bar",
  );
  await click(page, run);
  const item = await page.waitFor<{ x: number; y: number }>(
    centerOf('.lm-Menu-item[data-command="runmenu:run-all"]'),
    10_000,
    "Run All Cells in the Run menu",
  );
  await click(page, item);
}

interface PageState {
  loaded: boolean;
  status?: string;
  cells?: (PageCell & { running: boolean; trusted: boolean })[];
}

/** The notebook's address in `app`. */
function notebookUrl(server: JupyterServer, notebook: string): string {
  const path = server.app === "lab" ? `lab/tree/${notebook}` : `notebooks/${notebook}`;
  return `${server.base}/${path}?token=${server.token}`;
}

async function openNotebook(page: Page, server: JupyterServer, notebook: string) {
  await page.goto(notebookUrl(server, notebook));
  return await page.waitFor<PageState>(
    `(() => { const s = ${PAGE_STATE}; return s.loaded && s.status === "idle" && s.cells.length ` +
      `? s : null; })()`,
    120_000,
    `${notebook} to open with an idle kernel`,
  );
}

/** Hovers view `i`'s tallest `markType` item; the tooltip it shows, or undefined. */
async function hoverTooltip(page: Page, i: number, markType: string) {
  const at = await page.evaluate<{ x: number; y: number } | null>(markTarget(i, markType));
  if (!at) return undefined;
  await page.hover({ x: at.x + 1, y: at.y + 1 });
  await page.hover(at);
  return await page.waitFor<{ text: string; img: boolean }>(PAGE_TOOLTIP, 5_000, "a tooltip")
    .catch(() => undefined);
}

/** Notebook 01 run through the menu, then its outputs, views, slider and tooltip. */
async function checkRun(
  page: Page,
  server: JupyterServer,
  shots: string,
  r: LabResult,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const t0 = performance.now();
  await openNotebook(page, server, LAB_RUN_NOTEBOOK);
  // The committed outputs go first, so none of them can pass for this run's.
  await page.evaluate(
    `window.jupyterapp.commands.execute("notebook:clear-all-cell-outputs").then(() => true)`,
  );
  await runAllFromMenu(page);
  log(`  Run → Run All Cells clicked`);
  const deadline = Date.now() + timeoutMs;
  let settled = 0;
  let lastRan = -1;
  let state: PageState = { loaded: false };
  while (settled < 3) {
    await new Promise((res) => setTimeout(res, 1_000));
    state = await page.evaluate<PageState>(PAGE_STATE);
    const cells = state.cells ?? [];
    const done = state.status === "idle" && cells.every((c) => !c.running) &&
      (cells.every((c) => c.executionCount !== null) ||
        cells.some((c) => c.outputs.some((o) => o.output_type === "error")));
    settled = done ? settled + 1 : 0;
    const ran = cells.filter((c) => c.executionCount !== null).length;
    if (ran !== lastRan) log(`  ${ran} of ${cells.length} cells run, kernel ${state.status}`);
    lastRan = ran;
    if (Date.now() > deadline) {
      r.failures.push(`${LAB_RUN_NOTEBOOK}: not finished after ${timeoutMs / 1000} s`);
      const shot = join(shots, `${server.app}-01-unfinished.png`);
      await page.screenshot(shot);
      r.screenshots.push(shot);
      break;
    }
  }
  r.seconds = (performance.now() - t0) / 1000;
  const cells = state.cells ?? [];
  r.cells = cells.length;
  r.executed = cells.filter((c) => c.executionCount !== null).length;
  if (r.cells === 0 || r.executed !== r.cells) {
    r.failures.push(`${LAB_RUN_NOTEBOOK}: ${r.executed} of ${r.cells} code cells ran`);
  }
  for (const c of cells) {
    for (const o of c.outputs) {
      if (o.output_type === "error") r.errors.push(`cell ${c.index}: ${o.ename}`);
      if (o.output_type === "stream" && o.name === "stderr") {
        r.errors.push(`cell ${c.index}: stderr ${streamText({ ...c, outputs: [o] }).trim()}`);
      }
    }
  }
  r.failures.push(...r.errors.map((e) => `${LAB_RUN_NOTEBOOK}: error output in ${e}`));
  r.failures.push(...misplacedOutput(cells).map((m) => `${LAB_RUN_NOTEBOOK}: ${m}`));
  const summaryCell = cells.find((c) => /\.summary\(/.test(c.source));
  if (!summaryCell || !/^teacher: [\d,]+ trainable parameters$/m.test(streamText(summaryCell))) {
    r.failures.push(`${LAB_RUN_NOTEBOOK}: the parameter-count line is not under the summary cell`);
  }

  r.vegaOutputs = cells.reduce((n, c) => n + c.vegaOutputs, 0);
  r.views = await page.evaluate<number>(`${PAGE_VIEWS}.length`);
  if (r.vegaOutputs === 0 || r.views !== r.vegaOutputs) {
    r.failures.push(`${LAB_RUN_NOTEBOOK}: ${r.views} vega-embed views for ${r.vegaOutputs} charts`);
  }

  const slider = await page.evaluate<number>(
    `${PAGE_VIEWS}.findIndex((v) => v.node.querySelector(".vega-bindings input[type=range]"))`,
  );
  if (slider < 0) {
    r.failures.push(`${LAB_RUN_NOTEBOOK}: no chart with a slider`);
    return;
  }
  const setT = async (T: number) => {
    await page.evaluate(`(() => {
      const { node } = ${PAGE_VIEWS}[${slider}];
      node.scrollIntoView({ block: "center" });
      const input = node.querySelector(".vega-bindings input[type=range]");
      input.value = "${T}";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      return true;
    })()`);
    // The view redraws on its next frame.
    await new Promise((res) => setTimeout(res, 500));
    const shot = join(shots, `${server.app}-01-slider-T${T}.png`);
    await page.screenshot(shot);
    r.screenshots.push(shot);
    return await page.evaluate<string>(rendering(slider));
  };
  const low = await setT(1);
  const high = await setT(10);
  r.sliderChanged = low !== high;
  if (!r.sliderChanged) {
    r.failures.push(`${LAB_RUN_NOTEBOOK}: moving the slider from T = 1 to 10 redrew nothing`);
  }
  const tip = await hoverTooltip(page, slider, "rect");
  r.tooltip = tip?.text;
  r.tooltipHasImg = tip?.img;
  if (!tip?.text.trim()) r.failures.push(`${LAB_RUN_NOTEBOOK}: no tooltip on a slider bar`);
  else if (tip.img) r.failures.push(`${LAB_RUN_NOTEBOOK}: the tooltip holds an <img>`);
  const shot = join(shots, `${server.app}-01-tooltip.png`);
  await page.screenshot(shot);
  r.screenshots.push(shot);
}

/** The committed notebook 04, untrusted and not run: its charts and a tooltip. */
async function checkOpened(
  page: Page,
  server: JupyterServer,
  shots: string,
  r: LabResult,
): Promise<void> {
  const state = await openNotebook(page, server, LAB_OPEN_NOTEBOOK);
  const cells = state.cells ?? [];
  r.openedTrusted = cells.some((c) => c.trusted);
  r.openedVegaOutputs = cells.reduce((n, c) => n + c.vegaOutputs, 0);
  r.openedViews = await page.waitFor<number>(
    `(() => { const n = ${PAGE_VIEWS}.length; return n >= ${r.openedVegaOutputs} ? n : 0; })()`,
    60_000,
    `${LAB_OPEN_NOTEBOOK}'s ${r.openedVegaOutputs} charts to render`,
  ).catch(() => page.evaluate<number>(`${PAGE_VIEWS}.length`));
  if (r.openedTrusted) r.failures.push(`${LAB_OPEN_NOTEBOOK}: opened trusted, not as committed`);
  if (r.openedVegaOutputs === 0 || r.openedViews !== r.openedVegaOutputs) {
    r.failures.push(
      `${LAB_OPEN_NOTEBOOK}: ${r.openedViews} views for ${r.openedVegaOutputs} saved charts`,
    );
  }
  // The first chart whose marks answer a hover (bars, points or cells).
  for (let i = 0; i < (r.openedViews ?? 0) && !r.openedTooltip; i++) {
    for (const mark of ["rect", "symbol"]) {
      const tip = await hoverTooltip(page, i, mark);
      if (tip?.text.trim()) {
        r.openedTooltip = tip.text;
        if (tip.img) r.failures.push(`${LAB_OPEN_NOTEBOOK}: chart ${i}'s tooltip holds an <img>`);
        break;
      }
    }
  }
  if (!r.openedTooltip) r.failures.push(`${LAB_OPEN_NOTEBOOK}: no chart showed a tooltip`);
  const shot = join(shots, `${server.app}-04.png`);
  await page.screenshot(shot);
  r.screenshots.push(shot);
}

export interface LabCheckOptions {
  root: string;
  /** Where the screenshots go (created). */
  screenshots: string;
  /** Environment for the server and its kernels (KD_PROFILE=quick). */
  env: Record<string, string>;
  /** How long Run All may take in one client (default 10 minutes). */
  runTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Both clients, one after the other; never throws for findings. */
export async function checkLabClients(
  browser: Browser,
  options: LabCheckOptions,
): Promise<LabResult[]> {
  const { root, log = () => {} } = options;
  await Deno.mkdir(options.screenshots, { recursive: true });
  const python = await setUpJupyter({ root, client: LAB_CLIENT, log });
  const tree = await notebookTree(root, [LAB_RUN_NOTEBOOK, LAB_OPEN_NOTEBOOK]);
  const home = await Deno.makeTempDir({ prefix: "kd-lab-home-" });
  // Windowing off: JupyterLab would otherwise leave cells out of view out of the page.
  const settings = join(home, "settings", "@jupyterlab", "notebook-extension");
  await Deno.mkdir(settings, { recursive: true });
  await Deno.writeTextFile(
    join(settings, "tracker.jupyterlab-settings"),
    JSON.stringify({ windowingMode: "none" }),
  );
  const results: LabResult[] = [];
  try {
    for (const app of ["lab", "notebook"] as const) {
      const r: LabResult = {
        app,
        seconds: 0,
        cells: 0,
        executed: 0,
        errors: [],
        views: 0,
        vegaOutputs: 0,
        sliderChanged: false,
        screenshots: [],
        failures: [],
      };
      results.push(r);
      let server: JupyterServer | undefined;
      const pages: Page[] = [];
      const open = async () => {
        const page = await browser.newPage();
        pages.push(page);
        // JupyterLab asks before leaving a changed notebook; a person would say yes.
        page.on("Page.javascriptDialogOpening", () => {
          void page.send("Page.handleJavaScriptDialog", { accept: true }).catch(() => {});
        });
        return page;
      };
      try {
        server = await startJupyterServer({
          program: python,
          app,
          rootDir: join(tree, "notebooks"),
          env: {
            ...options.env,
            JUPYTER_CONFIG_DIR: join(home, "config"),
            JUPYTER_RUNTIME_DIR: join(home, "runtime"),
            JUPYTERLAB_SETTINGS_DIR: join(home, "settings"),
            JUPYTERLAB_WORKSPACES_DIR: join(home, "workspaces"),
          },
          // The page's checks read the notebook model through the app object.
          extraArgs: [
            `--${app === "lab" ? "LabApp" : "JupyterNotebookApp"}.expose_app_in_browser=True`,
          ],
        });
        log(`${APP_NAMES[app]}: ${server.base}, Run All on ${LAB_RUN_NOTEBOOK}`);
        const runTimeoutMs = options.runTimeoutMs ?? 600_000;
        await checkRun(await open(), server, options.screenshots, r, runTimeoutMs, log);
        // A page of its own: the run's page holds a changed notebook.
        await checkOpened(await open(), server, options.screenshots, r);
      } catch (e) {
        r.failures.push(`${APP_NAMES[app]}: ${(e as Error).message}`);
        if (server) log(server.tail());
      } finally {
        // Uncaught exceptions fail; the clients' console errors (offline extension fetches and
        // the like) are shown but not counted.
        let noise = 0;
        for (const p of pages.flatMap((page) => page.problems)) {
          if (p.kind !== "exception") log(`  ${APP_NAMES[app]} page (not counted): ${p.text}`);
          else if (CLIENT_NOISE.some((re) => re.test(p.text))) noise++;
          else r.failures.push(`${APP_NAMES[app]} page: ${p.text}`);
        }
        if (noise) log(`  ${APP_NAMES[app]}: ${noise} exception(s) of the client's own ignored`);
        for (const page of pages) await page.close();
        await server?.stop();
      }
    }
  } finally {
    await Deno.remove(tree, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
  return results;
}
