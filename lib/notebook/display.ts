/**
 * Rich display helpers for the Deno Jupyter kernel, with plain-text fallbacks so the same
 * notebook code also runs under `deno run` / `deno test` (where `Deno.jupyter` throws).
 *
 * Always `await` these functions in a cell: a display sent after the cell has finished is
 * attributed to whatever runs next (or lost by a headless executor). In the kernel each display
 * first sends the console text printed before it (lib/notebook/kernel_output.ts).
 */
import {
  type ChartSpec,
  chartSummary,
  chartText,
  formatCell,
  renderPng,
  renderSvg,
  VEGA_LITE_MIME,
} from "../charts/mod.ts";
import { message } from "../errors.ts";
import {
  type DisplayOptions,
  inJupyterKernel,
  kernelDisplay,
  type MediaBundle,
} from "./kernel_output.ts";

/** Base64 without a std dependency; chunked so large PNGs don't overflow the argument list. */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    bin += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(bin);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

// ---------------------------------------------------------------------------------------------
// Charts

export interface ShowChartOptions {
  /** Replaces the spec's title. */
  title?: string;
  /** Include an `image/png` rendering (default true; skipped with a warning if no font). */
  png?: boolean;
  /** PNG pixel density (default 1, i.e. the SVG's size). */
  pngScale?: number;
}

let warnedNoPng = false;

/**
 * The ONE display bundle for a chart: vega-lite (JupyterLab / VS Code render it interactively),
 * SVG (nbconvert HTML and most viewers), PNG (viewers without SVG/vega support) and text/plain
 * (the data as a table).
 */
export async function chartBundle(
  spec: ChartSpec,
  options: ShowChartOptions = {},
): Promise<MediaBundle> {
  const s: ChartSpec = options.title === undefined ? spec : { ...spec, title: options.title };
  const svg = await renderSvg(s);
  const bundle: MediaBundle = {
    [VEGA_LITE_MIME]: s,
    "image/svg+xml": svg,
    "text/plain": chartText(s),
  };
  if (options.png ?? true) {
    try {
      bundle["image/png"] = toBase64(await renderPng(svg, { scale: options.pngScale ?? 1 }));
    } catch (e) {
      if (!warnedNoPng) {
        warnedNoPng = true;
        console.warn(`showChart: no PNG (${message(e)})`);
      }
    }
  }
  return bundle;
}

/**
 * Show a chart. In the kernel: one `Deno.jupyter.display` of the bundle above. Elsewhere: one
 * line such as `[chart] Accuracy comparison (bar+rule+text, 3 rows)` on stdout.
 */
export async function showChart(spec: ChartSpec, options: ShowChartOptions = {}): Promise<void> {
  if (!inJupyterKernel()) {
    const s = options.title === undefined ? spec : { ...spec, title: options.title };
    console.log(chartSummary(s));
    return;
  }
  await kernelDisplay(await chartBundle(spec, options), { raw: true });
}

// ---------------------------------------------------------------------------------------------
// Tables

/** A fraction as a percentage with two decimals: 0.99034 → "99.03 %"; "–" for NaN. */
export function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(100 * fraction).toFixed(2)} %` : "–";
}

export interface TableColumn {
  /** Property of the row objects. */
  key: string;
  /** Header text (default: the key). */
  label?: string;
  /** Cell formatter (default: numbers to 4 significant digits). */
  format?: (value: unknown) => string;
}

export interface ShowTableOptions {
  title?: string;
  /** Columns holding fractions, shown as percentages (`percent`). */
  percentColumns?: readonly string[];
  /** Rows printed in text/plain (HTML shows all); default 50. */
  maxTextRows?: number;
}

function cellString(value: unknown, column: TableColumn): string {
  if (column.format) return column.format(value);
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
    return formatCell(value);
  }
  return JSON.stringify(value);
}

/** Table as HTML + text/plain bundle; `columns` default to the keys of the rows. */
export function tableBundle(
  rows: Record<string, unknown>[],
  columns?: (string | TableColumn)[],
  options: ShowTableOptions = {},
): MediaBundle {
  const asPercent = new Set(options.percentColumns);
  const cols: TableColumn[] = (columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))])
    .map((c) => (typeof c === "string" ? { key: c } : c))
    .map((c) => asPercent.has(c.key) ? { format: (v) => percent(v as number), ...c } : c);
  const header = cols.map((c) => c.label ?? c.key);
  const cells = rows.map((r) => cols.map((c) => cellString(r[c.key], c)));
  const numeric = cols.map((c) =>
    rows.every((r) => r[c.key] == null || typeof r[c.key] === "number")
  );
  const align = (j: number) => (numeric[j] ? "right" : "left");
  const html = [
    `<table class="kd-table" style="border-collapse:collapse;font-variant-numeric:tabular-nums">`,
    options.title
      ? `<caption style="text-align:left"><b>${escapeHtml(options.title)}</b></caption>`
      : "",
    "<thead><tr>",
    ...header.map((h, j) =>
      `<th style="text-align:${align(j)};padding:2px 8px;border-bottom:1px solid #999">${
        escapeHtml(h)
      }</th>`
    ),
    "</tr></thead><tbody>",
    ...cells.map((row) =>
      "<tr>" +
      row.map((s, j) => `<td style="text-align:${align(j)};padding:2px 8px">${escapeHtml(s)}</td>`)
        .join("") +
      "</tr>"
    ),
    "</tbody></table>",
  ].join("");
  // The text table gets pre-formatted strings so custom formatters apply there too.
  const textRows = cells.map((row) => Object.fromEntries(row.map((s, j) => [header[j], s])));
  let text = formatTableStrings(textRows, header, numeric, options.maxTextRows ?? 50);
  if (options.title) text = `${options.title}\n${text}`;
  return { "text/html": html, "text/plain": text };
}

/** Like formatTable, but for already formatted strings with known numeric (right) columns. */
function formatTableStrings(
  rows: Record<string, string>[],
  header: string[],
  numeric: boolean[],
  maxRows: number,
): string {
  if (header.length === 0) return "(no columns)";
  const shown = rows.slice(0, maxRows);
  const widths = header.map((h) => Math.max(h.length, ...shown.map((r) => r[h].length)));
  const pad = (s: string, j: number) => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]));
  const lines = [
    header.map((h, j) => pad(h, j)).join("  ").trimEnd(),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...shown.map((r) => header.map((h, j) => pad(r[h], j)).join("  ").trimEnd()),
  ];
  if (rows.length > maxRows) lines.push(`… ${rows.length - maxRows} more rows`);
  return lines.join("\n");
}

/** Show a results table: HTML in the kernel, the text table on stdout elsewhere. */
export async function showTable(
  rows: Record<string, unknown>[],
  columns?: (string | TableColumn)[],
  options: ShowTableOptions = {},
): Promise<void> {
  const bundle = tableBundle(rows, columns, options);
  if (!inJupyterKernel()) {
    console.log(bundle["text/plain"]);
    return;
  }
  await kernelDisplay(bundle, { raw: true });
}

// ---------------------------------------------------------------------------------------------
// Text

/**
 * Show markdown the run wrote (a result sentence with its numbers): rendered in the kernel, the
 * text itself on stdout elsewhere.
 */
export async function showMarkdown(markdown: string): Promise<void> {
  if (!inJupyterKernel()) {
    console.log(markdown);
    return;
  }
  await kernelDisplay({ "text/markdown": markdown, "text/plain": markdown }, { raw: true });
}

// ---------------------------------------------------------------------------------------------
// Progress bar

export interface ProgressUpdate {
  /** 1-based epoch number. */
  epoch: number;
  epochs: number;
  /** 1-based batch number within the epoch (omit for epoch-level updates). */
  batch?: number;
  batches?: number;
  loss?: number;
  imagesPerSec?: number;
}

export interface ProgressBar {
  /** Report progress; cheap to call every batch (rendering is throttled). */
  update(p: ProgressUpdate): Promise<void>;
  /** Final state: full bar, total time and an optional summary. */
  done(summary?: string): Promise<void>;
}

export interface ProgressBarOptions {
  /** Minimum milliseconds between kernel display updates (default 250, i.e. ≤ 4 per second). */
  throttleMs?: number;
  /** Bar width in characters for text/plain (default 24). */
  width?: number;
  /** Injectable clock, for tests. */
  now?: () => number;
  /** Force kernel/text mode (default: detect). */
  kernel?: boolean;
}

/** m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Fraction of all work done (0..1) for an update. */
export function progressFraction(p: ProgressUpdate): number {
  if (!(p.epochs > 0)) return 0;
  const inEpoch = p.batch !== undefined && p.batches ? p.batch / p.batches : 1;
  return Math.min(1, Math.max(0, (p.epoch - 1 + inEpoch) / p.epochs));
}

/** What a progress display shows; `finished` draws a full bar whatever the last epoch was. */
export interface ProgressState {
  label: string;
  update?: ProgressUpdate;
  elapsedSec: number;
  summary?: string;
  finished: boolean;
}

function progressParts(st: ProgressState): { fraction: number; parts: string[] } {
  const p = st.update;
  const fraction = st.finished ? 1 : p ? progressFraction(p) : 0;
  const parts: string[] = [];
  if (p) {
    parts.push(`epoch ${p.epoch}/${p.epochs}`);
    if (p.batch !== undefined && p.batches !== undefined) {
      parts.push(`batch ${p.batch}/${p.batches}`);
    }
    if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
    if (p.imagesPerSec !== undefined) parts.push(`${Math.round(p.imagesPerSec)} img/s`);
  }
  if (st.finished) {
    parts.push(`done in ${formatDuration(st.elapsedSec)}`);
    if (st.summary) parts.push(st.summary);
  } else if (fraction > 0) {
    parts.push(`ETA ${formatDuration((st.elapsedSec * (1 - fraction)) / fraction)}`);
  }
  return { fraction, parts };
}

/** One-line text rendering, e.g. `train [######------]  50% epoch 2/3 · loss 0.1 · ETA 0:12`. */
export function progressText(st: ProgressState, width = 24): string {
  const { fraction, parts } = progressParts(st);
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${st.label} [${bar}] ${pct}  ${parts.join(" · ")}`;
}

function progressHtml(st: ProgressState): string {
  const { fraction, parts } = progressParts(st);
  const pct = (fraction * 100).toFixed(1);
  const color = st.finished ? "#54a24b" : "#4c78a8";
  return `<div style="font-family:monospace;font-size:13px;line-height:1.6">` +
    `<b>${escapeHtml(st.label)}</b> ` +
    `<span style="display:inline-block;width:220px;height:10px;background:#e6e6e6;` +
    `border-radius:3px;vertical-align:middle;overflow:hidden">` +
    `<span style="display:block;width:${pct}%;height:100%;background:${color}"></span></span> ` +
    `${Math.floor(fraction * 100)}% · ${escapeHtml(parts.join(" · "))}</div>`;
}

let progressCounter = 0;

/**
 * A progress display for training loops. In the kernel it is ONE output updated in place through
 * a `display_id` (no timers: every message is sent from inside `update`/`done`, so nothing
 * arrives after the cell has finished). Outside the kernel it prints at most one line per
 * completed epoch, plus one line from `done`.
 */
export function progressBar(label: string, options: ProgressBarOptions = {}): ProgressBar {
  const now = options.now ?? (() => performance.now());
  const throttleMs = options.throttleMs ?? 250;
  const width = options.width ?? 24;
  const kernel = options.kernel ?? inJupyterKernel();
  const displayId = `kd-progress-${Date.now().toString(36)}-${++progressCounter}`;
  const start = now();
  let shown = false;
  let lastSent = -Infinity;
  let lastPrintedEpoch = 0;
  const state: ProgressState = { label, elapsedSec: 0, finished: false };

  const send = async () => {
    state.elapsedSec = (now() - start) / 1000;
    const bundle: MediaBundle = {
      "text/html": progressHtml(state),
      "text/plain": progressText(state, width),
    };
    lastSent = now();
    // First message creates the output; later ones replace it in place.
    const opts: DisplayOptions = shown
      ? { raw: true, display_id: displayId, update: true }
      : { raw: true, display_id: displayId };
    shown = true;
    await kernelDisplay(bundle, opts);
  };

  return {
    async update(p: ProgressUpdate): Promise<void> {
      if (state.finished) return;
      state.update = { ...p };
      if (kernel) {
        if (now() - lastSent >= throttleMs) await send();
        return;
      }
      const epochComplete = p.batch === undefined || p.batches === undefined ||
        p.batch >= p.batches;
      if (epochComplete && p.epoch > lastPrintedEpoch) {
        lastPrintedEpoch = p.epoch;
        state.elapsedSec = (now() - start) / 1000;
        console.log(progressText(state, width));
      }
    },
    async done(summary?: string): Promise<void> {
      if (state.finished) return;
      state.finished = true;
      state.summary = summary;
      if (kernel) {
        await send();
        return;
      }
      state.elapsedSec = (now() - start) / 1000;
      console.log(progressText(state, width));
    },
  };
}
