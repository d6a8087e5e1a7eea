/**
 * Plain-text renderings of charts: the `text/plain` part of a display bundle (what a terminal,
 * a diff of the .ipynb, or a reader without a vega renderer sees) and a one-line summary for
 * scripts and tests running outside a notebook kernel.
 */
import { type ChartSpec, type Datum, titleText, type ViewSpec } from "./spec.ts";

type Cell = string | number | boolean | null | undefined;

/** Format one value compactly: numbers to 4 significant digits, null as "". */
export function formatCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    return Number(v.toPrecision(4)).toString();
  }
  return String(v);
}

/**
 * Fixed-width text table. Numbers are right-aligned, everything else left-aligned; at most
 * `maxRows` rows are printed, followed by "… N more rows".
 */
export function formatTable(
  rows: Record<string, Cell>[],
  columns?: string[],
  maxRows = 20,
): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (cols.length === 0) return "(no data)";
  const shown = rows.slice(0, maxRows);
  const cells = shown.map((r) => cols.map((c) => formatCell(r[c])));
  const numeric = cols.map((c) => shown.every((r) => r[c] == null || typeof r[c] === "number"));
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const pad = (s: string, j: number) => numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]);
  const lines = [
    cols.map((c, j) => pad(c, j)).join("  ").trimEnd(),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map((row) => row.map((s, j) => pad(s, j)).join("  ").trimEnd()),
  ];
  if (rows.length > maxRows) lines.push(`… ${rows.length - maxRows} more rows`);
  return lines.join("\n");
}

/** Mark types used anywhere in the spec, in order of first appearance. */
export function chartMarks(spec: ChartSpec): string[] {
  const marks: string[] = [];
  const visit = (v: ViewSpec | ChartSpec) => {
    if (v.mark !== undefined) marks.push(typeof v.mark === "string" ? v.mark : v.mark.type);
    v.layer?.forEach(visit);
    if ("hconcat" in v) v.hconcat?.forEach(visit);
    if ("vconcat" in v) v.vconcat?.forEach(visit);
  };
  visit(spec);
  return [...new Set(marks)];
}

/** One line, e.g. `[chart] Accuracy comparison (bar+rule+text, 3 rows)`. */
export function chartSummary(spec: ChartSpec): string {
  const title = titleText(spec) ?? "untitled";
  const n = spec.data.values.length;
  return `[chart] ${title} (${chartMarks(spec).join("+")}, ${n} row${n === 1 ? "" : "s"})`;
}

/** The title line plus the chart's data as a small table (the `text/plain` of a display). */
export function chartText(spec: ChartSpec, maxRows = 20): string {
  const title = titleText(spec) ?? "chart";
  const rows: Datum[] = spec.data.values;
  return `${title}\n${formatTable(rows, undefined, maxRows)}`;
}
