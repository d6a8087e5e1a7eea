/**
 * A lesson notebook run as a learner runs it: Debian's classic Jupyter Notebook server (6.4) on
 * 127.0.0.1 with a random port and token (started by scripts/lessons/jupyter_server.ts), the
 * notebook opened in headless Chromium, "Restart & Run All" through the page's own JavaScript
 * (`Jupyter.notebook.restart_run_all`, what the Kernel menu item calls), then: the kernel is the
 * Deno kernelspec `deno task lessons` registers, every code cell has an execution count, no output
 * is an error, the kernel is idle, and the notebook's last table is on the page. A screenshot of
 * that table goes to the given path.
 *
 * The server's notebook folder is a temporary tree that links every top-level entry of the
 * repository except notebooks/, which holds a copy of the one notebook: its `../lib` imports and
 * `../data` paths resolve as in the repository, and whatever the page saves lands in the copy,
 * never in the committed notebook.
 */
import { basename, join } from "node:path";
import { readSetting } from "../../lib/settings.ts";
import { type JupyterServer, startJupyterServer } from "../lessons/jupyter_server.ts";
import type { Page } from "./cdp.ts";

/** Debian's jupyter-notebook; KD_JUPYTER_NOTEBOOK names another. */
export function jupyterNotebookPath(): string {
  return readSetting("KD_JUPYTER_NOTEBOOK") ?? "/usr/bin/jupyter-notebook";
}

/**
 * Messages the classic Notebook 6.4 page logs by itself, with any notebook: its hard-coded
 * fallback load of the ipywidgets extension (not installed with Debian's jupyter-notebook) fails
 * with a 404 and a refused script, and MathJax 2's web-font probe loads a font from about:blank.
 * Anything else the page reports is a failure.
 */
export const NOTEBOOK_APP_NOISE: readonly RegExp[] = [
  /\/nbextensions\/widgets\/notebook\/js\/extension\.js/,
  /Access to font at 'about:blank'/,
  /Failed to load resource: net::ERR_FAILED \(about:blank\)/,
];

/** What the run showed. */
export interface JupyterRunResult {
  notebook: string;
  kernelName: string;
  /** The kernelspec's argv[0], as the server reports it. */
  kernelArgv0: string;
  codeCells: number;
  executed: number;
  errors: string[];
  /** Header cells of the last table on the page and in the committed notebook. */
  lastTableOnPage: string[];
  lastTableExpected: string[];
  seconds: number;
  /** Page messages that were the Notebook app's own (NOTEBOOK_APP_NOISE). */
  ignored: string[];
  screenshot?: string;
  /** Everything wrong, one message each; empty when the run passes. */
  failures: string[];
}

export interface JupyterRunOptions {
  root: string;
  /** File name in notebooks/, e.g. 03_tabular_people.ipynb. */
  notebook: string;
  /** The deno the kernelspec must run (scripts/lessons/deno_kernel.ts's registration). */
  expectDeno?: string;
  /** Extra environment for the server and so the kernel (e.g. KD_PROFILE=quick). */
  env?: Record<string, string>;
  /** How long the whole run may take (default 20 minutes). */
  timeoutMs?: number;
  screenshot?: string;
  log?: (line: string) => void;
}

interface NotebookJson {
  cells: { cell_type: string; outputs?: { data?: Record<string, string | string[]> }[] }[];
}

/** The header cells (th) of the last HTML table among `nb`'s outputs. */
export function lastTableHeaders(nb: NotebookJson): string[] {
  let last: string | undefined;
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const html = out.data?.["text/html"];
      const text = Array.isArray(html) ? html.join("") : html;
      if (text?.includes("<table")) last = text.slice(text.lastIndexOf("<table"));
    }
  }
  if (!last) return [];
  return [...last.matchAll(/<th\b[^>]*>(.*?)<\/th>/gs)].map((m) =>
    m[1].replace(/<[^>]+>/g, "").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim()
  );
}

/**
 * Headers as the page and the committed notebook can share them: a comparison table's per-seed
 * column exists only where a run has several seeds, and the page's run may be of another profile
 * than the committed one (quick: one seed; cpu: three).
 */
export function comparableHeaders(headers: readonly string[]): string {
  return headers.filter((h) => !h.startsWith("per seed")).join(" | ");
}

/** The temporary notebook folder described above, with copies of `notebooks`. */
export async function notebookTree(root: string, notebooks: readonly string[]): Promise<string> {
  const tree = await Deno.makeTempDir({ prefix: "kd-jupyter-tree-" });
  for await (const e of Deno.readDir(root)) {
    if (e.name === "notebooks" || e.name === ".git") continue;
    await Deno.symlink(join(root, e.name), join(tree, e.name));
  }
  await Deno.mkdir(join(tree, "notebooks"));
  for (const notebook of notebooks) {
    await Deno.copyFile(join(root, "notebooks", notebook), join(tree, "notebooks", notebook));
  }
  return tree;
}

// The classic notebook's page objects as far as pageState uses them (this module is type-checked
// without lib.dom; the declarations stay in this module).
interface JupyterCell {
  cell_type: string;
  get_text(): string;
  input_prompt_number: number | string | null | undefined;
  output_area: { outputs: { output_type: string; ename?: string; evalue?: string }[] };
}
interface JupyterNotebook {
  _fully_loaded: boolean;
  kernel: { name: string } | null;
  get_cells(): JupyterCell[];
}
interface PageNode {
  textContent: string;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
}
declare const document: {
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
};

/** What the page shows (run in the page; no outer scope). */
interface PageState {
  loaded: boolean;
  kernel: string;
  idle: boolean;
  codeCells: number;
  executed: number;
  running: number;
  errors: string[];
  lastTable: string[];
}

function pageState(): PageState {
  const nb = (globalThis as { Jupyter?: { notebook?: JupyterNotebook } }).Jupyter?.notebook;
  if (!nb || !nb._fully_loaded || !nb.kernel) {
    return {
      loaded: false,
      kernel: "",
      idle: false,
      codeCells: 0,
      executed: 0,
      running: 0,
      errors: [],
      lastTable: [],
    };
  }
  const code = nb.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim());
  const errors: string[] = [];
  for (const c of code) {
    for (const o of c.output_area.outputs) {
      if (o.output_type === "error") errors.push(`${o.ename}: ${o.evalue}`);
    }
  }
  const tables = document.querySelectorAll("#notebook .output_area table");
  const last = tables.length ? tables[tables.length - 1] : undefined;
  return {
    loaded: true,
    kernel: nb.kernel.name,
    idle: document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null,
    codeCells: code.length,
    executed: code.filter((c) => typeof c.input_prompt_number === "number").length,
    running: code.filter((c) => c.input_prompt_number === "*").length,
    errors,
    lastTable: last
      ? Array.from(last.querySelectorAll("th")).map((th) =>
        th.textContent.replace(/\s+/g, " ").trim()
      )
      : [],
  };
}

/** Starts the server, runs the notebook in `page`, stops the server; never throws for findings. */
export async function runNotebookInJupyter(
  page: Page,
  options: JupyterRunOptions,
): Promise<JupyterRunResult> {
  const { root, notebook, log = () => {} } = options;
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const expected = lastTableHeaders(
    JSON.parse(await Deno.readTextFile(join(root, "notebooks", notebook))),
  );
  const result: JupyterRunResult = {
    notebook,
    kernelName: "",
    kernelArgv0: "",
    codeCells: 0,
    executed: 0,
    errors: [],
    lastTableOnPage: [],
    lastTableExpected: expected,
    seconds: 0,
    ignored: [],
    failures: [],
  };
  const tree = await notebookTree(root, [notebook]);
  const home = await Deno.makeTempDir({ prefix: "kd-jupyter-home-" });
  const t0 = performance.now();
  let server: JupyterServer | undefined;
  try {
    server = await startJupyterServer({
      program: jupyterNotebookPath(),
      app: "classic",
      rootDir: tree,
      env: {
        ...options.env,
        // The user's own Jupyter config and runtime files stay out of it; the kernelspecs (data
        // path) are the user's, since the registered Deno kernel is what is being tried.
        JUPYTER_CONFIG_DIR: join(home, "config"),
        JUPYTER_RUNTIME_DIR: join(home, "runtime"),
      },
      startTimeoutMs: 60_000,
    });
    const specs = await server.api<{ kernelspecs: Record<string, { spec: { argv: string[] } }> }>(
      "/api/kernelspecs",
    );
    result.kernelArgv0 = specs?.kernelspecs.deno?.spec.argv[0] ?? "";
    log(
      `Jupyter page: server ${server.base}, kernelspec deno runs ${result.kernelArgv0 || "(none)"}`,
    );

    await page.goto(`${server.base}/notebooks/notebooks/${notebook}?token=${server.token}`);
    await page.waitFor(`(${pageState})().loaded`, 60_000, "the notebook page to load");
    // No autosave: the page must not write while it is being checked (it is a copy anyway).
    await page.evaluate(`Jupyter.notebook.set_autosave_interval(0), true`);
    await page.evaluate(`Jupyter.notebook.clear_all_output(), true`);
    await page.evaluate(`Jupyter.notebook.restart_run_all({ confirm: false }), true`);
    log(`Jupyter page: Restart & Run All on ${notebook}`);
    // Done when the kernel is idle, nothing is queued and every cell has run, twice in a row
    // (between two cells the kernel is idle for a moment).
    const deadline = Date.now() + timeoutMs;
    let settled = 0;
    let state = await page.evaluate<PageState>(`(${pageState})()`);
    for (;;) {
      state = await page.evaluate<PageState>(`(${pageState})()`);
      const done = state.idle && state.running === 0 &&
        (state.executed === state.codeCells || state.errors.length > 0);
      settled = done ? settled + 1 : 0;
      if (settled >= 3) break;
      if (Date.now() > deadline) {
        result.failures.push(
          `${notebook}: not finished after ${timeoutMs / 1000} s (${state.executed} of ` +
            `${state.codeCells} cells run, ${state.running} running or queued)`,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    result.seconds = (performance.now() - t0) / 1000;
    result.kernelName = state.kernel;
    result.codeCells = state.codeCells;
    result.executed = state.executed;
    result.errors = state.errors;
    result.lastTableOnPage = state.lastTable;
    if (options.screenshot) {
      await page.evaluate(
        `(() => { const t = document.querySelectorAll("#notebook .output_area table"); ` +
          `t.length && t[t.length - 1].scrollIntoView({ block: "center" }); return true; })()`,
      );
      await page.screenshot(options.screenshot);
      result.screenshot = options.screenshot;
    }
  } catch (e) {
    result.failures.push(`${notebook}: ${(e as Error).message}`);
  } finally {
    await server?.stop();
    await Deno.remove(tree, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
  const f = result.failures;
  const name = basename(notebook);
  if (result.kernelName !== "deno") f.push(`${name}: the page's kernel is "${result.kernelName}"`);
  if (options.expectDeno && result.kernelArgv0 !== options.expectDeno) {
    f.push(`${name}: the deno kernelspec runs ${result.kernelArgv0}, not ${options.expectDeno}`);
  }
  if (result.codeCells === 0 || result.executed !== result.codeCells) {
    f.push(`${name}: ${result.executed} of ${result.codeCells} code cells have an execution count`);
  }
  for (const e of result.errors) f.push(`${name}: error output ${e}`);
  if (expected.length === 0) f.push(`${name}: the committed notebook shows no table to look for`);
  else if (comparableHeaders(result.lastTableOnPage) !== comparableHeaders(expected)) {
    f.push(
      `${name}: the last table on the page has headers [${result.lastTableOnPage.join(" | ")}], ` +
        `the notebook's [${expected.join(" | ")}]`,
    );
  }
  for (const p of page.problems) {
    const text = `${p.kind}: ${p.text}`;
    if (p.kind === "log" && NOTEBOOK_APP_NOISE.some((re) => re.test(p.text))) {
      result.ignored.push(text);
    } else f.push(`${name} page: ${text}`);
  }
  return result;
}
