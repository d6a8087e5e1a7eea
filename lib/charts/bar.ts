/** Bar chart for comparing accuracies (teacher vs student vs distilled), with optional ± error. */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  type Encoding,
  type FieldDef,
  makeTitle,
  VEGA_LITE_SCHEMA,
  type ViewSpec,
} from "./spec.ts";

export interface BarRow {
  label: string;
  value: number;
  /** Half-width of the error bar, e.g. one standard deviation over seeds (mean ± sd). */
  error?: number;
  /** Optional second grouping: bars of the same label are placed side by side, coloured by group. */
  group?: string;
}

export interface BarChartOptions extends BaseChartOptions {
  /** Y axis title (default "accuracy"). */
  valueTitle?: string;
  /** X axis title (default: none, the labels speak for themselves). */
  labelTitle?: string;
  /** Legend title when rows have groups (default "group"). */
  groupTitle?: string;
  /** Show values as percentages; default true when every value (± error) lies in [0, 1]. */
  percent?: boolean;
  /**
   * The y range to show, widened to fit the data (see fitDomain), so a quick run's lower
   * accuracies stay on the chart. Default: from zero, so bar lengths stay honest.
   */
  domain?: [number, number];
  /** Print the value above each bar (default true). */
  showValues?: boolean;
}

/**
 * `domain` widened to hold every value in `values`. Bars rise from the bottom, so the bottom moves
 * down in steps of the domain's width until the lowest value is at least a quarter step above it
 * (not below zero when no value is negative); the top moves up to the highest value.
 */
export function fitDomain(domain: [number, number], values: number[]): [number, number] {
  const [low, high] = domain;
  const step = high - low;
  if (!(step > 0)) throw new RangeError(`barChart: domain [${low}, ${high}] is empty`);
  const min = Math.min(...values);
  let bottom = low;
  while (bottom > min - step / 4) bottom -= step;
  // Steps of 0.1 from 0.9 give 0.8000000000000002 and then 2e-16; the axis should say 0.8, 0.
  bottom = Number(bottom.toFixed(10));
  if (min >= 0) bottom = Math.max(0, bottom);
  return [bottom, Math.max(high, ...values)];
}

/**
 * Data rows are `{label, group, value, lo, hi, error}` (lo/hi = value ∓ error, or value when no
 * error is given); x order follows the input order of labels.
 */
export function barChart(rows: BarRow[], options: BarChartOptions = {}): ChartSpec {
  const grouped = rows.some((r) => r.group !== undefined);
  const hasError = rows.some((r) => r.error !== undefined);
  const values: Datum[] = rows.map((r) => {
    const err = r.error ?? 0;
    return {
      label: r.label,
      group: r.group ?? null,
      value: r.value,
      error: r.error ?? null,
      lo: r.value - err,
      hi: r.value + err,
    };
  });
  const labels = [...new Set(rows.map((r) => r.label))];
  const groups = [...new Set(rows.map((r) => r.group).filter((g): g is string => g !== undefined))];
  const inUnit = rows.every((r) => r.value - (r.error ?? 0) >= 0 && r.value + (r.error ?? 0) <= 1);
  const percent = options.percent ?? inUnit;
  const format = percent ? ".1%" : ".3~f";
  const clip = options.domain !== undefined;

  const x: FieldDef = {
    field: "label",
    type: "nominal",
    title: options.labelTitle ?? null,
    sort: labels,
    axis: { labelAngle: labels.some((l) => l.length > 12) ? -30 : 0, labelLimit: 240 },
  };
  const y: FieldDef = {
    field: "value",
    type: "quantitative",
    title: options.valueTitle ?? "accuracy",
    axis: percent ? { format: "%" } : {},
    scale: options.domain
      ? {
        domain: fitDomain(
          options.domain,
          rows.flatMap((r) => [r.value - (r.error ?? 0), r.value + (r.error ?? 0)]),
        ),
      }
      : { zero: true },
  };
  const offset: Encoding = grouped
    ? { xOffset: { field: "group", type: "nominal", sort: groups } }
    : {};
  const tooltip: FieldDef[] = [
    { field: "label", type: "nominal" },
    ...(grouped ? [{ field: "group", type: "nominal" as const }] : []),
    { field: "value", type: "quantitative", format },
    ...(hasError ? [{ field: "error", type: "quantitative" as const, format }] : []),
  ];

  const layer: ViewSpec[] = [{
    mark: { type: "bar", clip, tooltip: true },
    encoding: {
      x,
      y,
      ...offset,
      color: grouped
        ? { field: "group", type: "nominal", title: options.groupTitle ?? "group", sort: groups }
        : { value: "#4c78a8" },
      tooltip,
    },
  }];
  if (hasError) {
    layer.push({
      mark: { type: "rule", clip, strokeWidth: 1.5, color: "black" },
      encoding: {
        x,
        y: { field: "lo", type: "quantitative" },
        y2: { field: "hi", type: "quantitative" },
        ...offset,
      },
    });
  }
  if (options.showValues ?? true) {
    layer.push({
      mark: { type: "text", baseline: "bottom", dy: -3, fontSize: 10, clip },
      encoding: {
        x,
        // Above the error bar when there is one, so the label never overlaps it.
        y: { field: "hi", type: "quantitative" },
        ...offset,
        text: { field: "value", type: "quantitative", format },
      },
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(options.title ?? "Accuracy comparison", options.subtitle),
    width: options.width ?? 480,
    height: options.height ?? 280,
    data: { values },
    layer,
    config: BASE_CONFIG,
  };
}
