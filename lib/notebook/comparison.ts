/**
 * The comparison every lesson ends with, as one call: each method's test accuracy over its seeds
 * as a bar chart and a table (mean ± sd, every seed's value, the change against the baseline,
 * what the source reports), then one sentence per method, written from the numbers, on whether
 * its change is larger than two standard errors.
 */
import { barChart } from "../charts/bar.ts";
import {
  describeDifference,
  type Difference,
  differenceFrom,
  formatMeanSd,
  formatPoints,
  type MeanSd,
  meanSd,
  type SeededRuns,
} from "../stats.ts";
import { percent, showChart, showMarkdown, showTable } from "./display.ts";

/** One row of the comparison. */
export interface ComparedRow {
  name: string;
  /** Runs over seeds, or the accuracy of a single run (a teacher trained once). */
  result: SeededRuns<{ readonly finalTestAccuracy: number }> | number;
  /** What the source reports for this row, as quoted text ("70.80 %"); "–" when it has none. */
  source?: string;
}

export interface ComparisonOptions {
  /** The table's title; the chart's is "Test accuracy (… mean ± sd over seeds)". */
  title: string;
  /** The chart's subtitle: what the runs trained on. */
  subtitle?: string;
  /**
   * The name of the row the others are measured against; without one the table has no change
   * column and no sentences (a results list of several stages).
   */
  baseline?: string;
  /** Rows shown but not measured against the baseline, e.g. the teacher. */
  notCompared?: readonly string[];
  /** Header of the first column (default "model"). */
  nameLabel?: string;
  /** Header of the accuracy column (default "ours"), e.g. with the training budget. */
  oursLabel?: string;
  /** Header of the source's column (default "source"); the column shows when a row has one. */
  sourceLabel?: string;
  /** The seeds, named in the per-seed column's header. */
  seeds?: readonly number[];
  /** Fixed y range of the chart, when the bars differ by less than a point. */
  domain?: [number, number];
}

/** One method measured against the baseline. */
export interface ComparedMethod {
  name: string;
  accuracy: MeanSd;
  difference: Difference;
  /** The verdict, as `describeDifference` words it. */
  sentence: string;
}

function summary(result: ComparedRow["result"]): { accuracy: MeanSd; perSeed: number[] } {
  if (typeof result === "number") return { accuracy: meanSd([result]), perSeed: [result] };
  return { accuracy: result.accuracy, perSeed: result.runs.map((r) => r.finalTestAccuracy) };
}

function measure(rows: readonly ComparedRow[]) {
  return rows.map((r) => ({ ...r, ...summary(r.result) }));
}

/**
 * Each row's difference from the baseline, in row order, without the baseline and the rows
 * `notCompared` names: what showComparison's sentences state.
 */
export function compareWithBaseline(
  rows: readonly ComparedRow[],
  options: { baseline: string; notCompared?: readonly string[] },
): ComparedMethod[] {
  const measured = measure(rows);
  const base = measured.find((r) => r.name === options.baseline);
  if (!base) {
    throw new Error(
      `the baseline "${options.baseline}" is not one of the compared rows ` +
        `(${rows.map((r) => r.name).join(", ")})`,
    );
  }
  const skip = new Set([base.name, ...(options.notCompared ?? [])]);
  return measured.filter((r) => !skip.has(r.name)).map((r) => {
    const difference = differenceFrom(r.accuracy, base.accuracy);
    const sentence = describeDifference(r.name, base.name, difference);
    return { name: r.name, accuracy: r.accuracy, difference, sentence };
  });
}

/** Shows the comparison: chart, table, and one verdict per method as markdown. */
export async function showComparison(
  rows: readonly ComparedRow[],
  options: ComparisonOptions,
): Promise<void> {
  const { baseline, notCompared } = options;
  const methods = baseline ? compareWithBaseline(rows, { baseline, notCompared }) : [];
  const measured = measure(rows);
  const change = new Map(methods.map((m) => [m.name, formatPoints(m.difference.difference)]));
  const seeded = measured.some((r) => r.accuracy.n > 1);
  await showChart(barChart(
    measured.map((r) => ({
      // Names may be indented for the table; the chart's axis wants them bare.
      label: r.name.trim(),
      value: r.accuracy.mean,
      error: r.accuracy.n > 1 ? r.accuracy.sd : undefined,
    })),
    {
      title: seeded ? "Test accuracy (mean ± sd over seeds)" : "Test accuracy",
      subtitle: options.subtitle,
      domain: options.domain,
    },
  ));
  const seeds = options.seeds ? ` (${options.seeds.join(", ")})` : "";
  const hasSource = rows.some((r) => r.source !== undefined);
  await showTable(
    measured.map((r) => ({
      name: r.name,
      ours: formatMeanSd(r.accuracy),
      perSeed: r.accuracy.n > 1 ? r.perSeed.map(percent).join(", ") : "",
      change: change.get(r.name) ?? "",
      source: r.source ?? "–",
    })),
    [
      { key: "name", label: options.nameLabel ?? "model" },
      { key: "ours", label: options.oursLabel ?? "ours" },
      ...(seeded ? [{ key: "perSeed", label: `per seed${seeds}` }] : []),
      ...(baseline ? [{ key: "change", label: `vs ${baseline.trim()}` }] : []),
      ...(hasSource ? [{ key: "source", label: options.sourceLabel ?? "source" }] : []),
    ],
    { title: options.title },
  );
  if (methods.length) await showMarkdown(methods.map((m) => `- ${m.sentence}`).join("\n"));
}
