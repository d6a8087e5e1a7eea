/**
 * Notebook 06's ONNX comparison in one call: the rows of `compareRuntimes` as a table (size,
 * latency, accuracy, agreement with tfjs) and a chart of size and latency.
 */
import { runtimeCostChart } from "../charts/runtime_cost.ts";
import type { RuntimeRow } from "../ship/onnx/runtimes.ts";
import { showChart, showTable } from "./display.ts";
import { percent } from "./display.ts";

/** A type alias, not an interface, so it fits showTable's row records. */
export type RuntimeTableRow = { readonly [column: string]: string };

const count = (n: number) => n.toLocaleString("en");
const kib = (bytes: number) =>
  `${(bytes / 1024).toLocaleString("en", { maximumFractionDigits: 1 })} KiB`;

/** One table row per runtime row, formatted for reading. */
export function runtimeTableRows(rows: readonly RuntimeRow[]): RuntimeTableRow[] {
  return rows.map((r) => ({
    model: r.model,
    runtime: r.runtime,
    weights: r.format,
    size: kib(r.bytes),
    "latency, batch 1": `${r.latencyMs.toFixed(2)} ms`,
    "test accuracy": percent(r.accuracy),
    "same class as tfjs": `${count(r.sameClass)} / ${count(r.examples)}`,
    "largest logit difference": r.runtime === "TensorFlow.js" ? "–" : r.maxAbsDiff.toExponential(1),
  }));
}

/** Options for `showRuntimeComparison`. */
export interface RuntimeComparisonOptions {
  /** The table's title; the chart's says what it plots. */
  title?: string;
}

/** Shows the table, then every model's size and batch-1 latency in every runtime and format. */
export async function showRuntimeComparison(
  rows: readonly RuntimeRow[],
  options: RuntimeComparisonOptions = {},
): Promise<void> {
  const { title = "TensorFlow.js and ONNX Runtime on the same test images" } = options;
  await showTable(runtimeTableRows(rows), undefined, { title });
  const points = rows.map((r) => ({ ...r, setup: `${r.runtime}, ${r.format}` }));
  await showChart(runtimeCostChart(points, { title: "What each way of shipping costs" }));
}
