/** Heatmap with the value printed in every cell (used for the temperature × λ sweep). */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  type FieldDef,
  makeTitle,
  VEGA_LITE_SCHEMA,
} from "./spec.ts";

export interface HeatCell {
  x: number | string;
  y: number | string;
  value: number;
  /** Text printed in the cell instead of the formatted value (e.g. "12 (3%)"). */
  label?: string;
}

export interface HeatmapChartOptions extends BaseChartOptions {
  xTitle?: string;
  yTitle?: string;
  /** Colour legend title (default "value"). */
  valueTitle?: string;
  /** d3-format string for the printed value; default ".1%" for values in [0, 1], else ".3~f". */
  format?: string;
  /** vega colour scheme (default "blues": dark = high, so high cells get white text). */
  scheme?: string;
  /** Colour domain; default: the data's min..max. */
  domain?: [number, number];
  /** Category order on each axis; default ascending (numbers sort numerically). */
  xSort?: (string | number)[] | "ascending" | "descending";
  ySort?: (string | number)[] | "ascending" | "descending";
}

/** Data rows are `{x, y, value, label}`; x and y are treated as ordinal categories. */
export function heatmapChart(cells: HeatCell[], options: HeatmapChartOptions = {}): ChartSpec {
  const values: Datum[] = cells.map((c) => ({
    x: c.x,
    y: c.y,
    value: c.value,
    label: c.label ?? null,
  }));
  const nums = cells.map((c) => c.value).filter((v) => Number.isFinite(v));
  const lo = options.domain?.[0] ?? (nums.length ? Math.min(...nums) : 0);
  const hi = options.domain?.[1] ?? (nums.length ? Math.max(...nums) : 1);
  const inUnit = nums.every((v) => v >= 0 && v <= 1);
  const format = options.format ?? (inUnit ? ".1%" : ".3~f");
  // Text colour flips at the middle of the colour range so it stays readable on dark cells.
  const mid = (lo + hi) / 2;
  const hasLabels = cells.some((c) => c.label !== undefined);
  const xNumeric = cells.every((c) => typeof c.x === "number");
  const yNumeric = cells.every((c) => typeof c.y === "number");

  const x: FieldDef = {
    field: "x",
    type: xNumeric ? "ordinal" : "nominal",
    title: options.xTitle ?? "x",
    sort: options.xSort ?? "ascending",
    axis: { labelAngle: 0 },
  };
  const y: FieldDef = {
    field: "y",
    type: yNumeric ? "ordinal" : "nominal",
    title: options.yTitle ?? "y",
    sort: options.ySort ?? "ascending",
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(options.title ?? "Heatmap", options.subtitle),
    width: options.width ?? 480,
    height: options.height ?? 280,
    data: { values },
    layer: [
      {
        mark: { type: "rect", tooltip: true },
        encoding: {
          x,
          y,
          color: {
            field: "value",
            type: "quantitative",
            title: options.valueTitle ?? "value",
            scale: {
              scheme: options.scheme ?? "blues",
              ...(options.domain ? { domain: options.domain } : {}),
            },
            legend: { format },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          x,
          y,
          text: hasLabels
            ? { field: "label", type: "nominal" }
            : { field: "value", type: "quantitative", format },
          color: { condition: { test: `datum.value > ${mid}`, value: "white" }, value: "black" },
        },
      },
    ],
    config: BASE_CONFIG,
  };
}
