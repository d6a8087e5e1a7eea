/**
 * Heatmap with the value printed in every cell (used for the temperature × λ sweep). Interactive
 * where a vega-lite renderer runs: hovering a cell shows its value, spread and seed count; clicking
 * one outlines it and, when the cells carry their training runs, colours that cell's curves in the
 * panel below (the others stay grey). The static SVG/PNG is the chart with nothing selected.
 */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  type FieldDef,
  makeTitle,
  type ParamConditionDef,
  VEGA_LITE_SCHEMA,
  type ViewSpec,
} from "./spec.ts";
import type { HistoryRun } from "./history.ts";

export interface HeatCell {
  x: number | string;
  y: number | string;
  value: number;
  /** Text printed in the cell instead of the formatted value (e.g. "12 (3%)"). */
  label?: string;
  /** Standard deviation over seeds, shown in the tooltip as value ± sd. */
  sd?: number;
  /** How many seeds the value averages. */
  seeds?: number;
  /** The cell's training runs (e.g. one per seed), drawn as curves that a click highlights. */
  runs?: HistoryRun[];
}

/** The click selection's param name (tests and the browser check look for it). */
export const CELL_SELECTION_PARAM = "cellSelect";

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
  /** Height of the curves panel (cells with `runs` only; default 180). */
  curvesHeight?: number;
}

/** Data rows are `{x, y, value, label}`; x and y are treated as ordinal categories. */
export function heatmapChart(cells: HeatCell[], options: HeatmapChartOptions = {}): ChartSpec {
  const hasSpread = cells.some((c) => c.sd !== undefined || c.seeds !== undefined);
  const hasRuns = cells.some((c) => (c.runs?.length ?? 0) > 0);
  // One data array (the folder's convention): with runs, a `kind` column tells cell rows from
  // curve rows, and each view filters its own.
  const values: Datum[] = cells.map((c) => ({
    ...(hasRuns ? { kind: "cell" } : {}),
    x: c.x,
    y: c.y,
    value: c.value,
    label: c.label ?? null,
    ...(hasSpread ? { sd: c.sd ?? null, seeds: c.seeds ?? null } : {}),
  }));
  const curveMetric =
    cells.some((c) => c.runs?.some((r) => r.history.some((p) => p.testAccuracy !== undefined)))
      ? "test accuracy"
      : "train accuracy";
  for (const c of cells) {
    for (const run of c.runs ?? []) {
      for (const p of run.history) {
        const accuracy = curveMetric === "test accuracy" ? p.testAccuracy : p.trainAccuracy;
        if (accuracy === undefined) continue;
        values.push({ kind: "curve", x: c.x, y: c.y, run: run.name, epoch: p.epoch, accuracy });
      }
    }
  }
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
  const xTitle = options.xTitle ?? "x";
  const yTitle = options.yTitle ?? "y";
  const tooltip: FieldDef[] = [
    { field: "x", type: x.type, title: xTitle },
    { field: "y", type: y.type, title: yTitle },
    { field: "value", type: "quantitative", title: options.valueTitle ?? "value", format },
    ...(hasSpread
      ? [
        { field: "sd", type: "quantitative" as const, title: "± sd", format },
        { field: "seeds", type: "quantitative" as const, title: "seeds" },
      ]
      : []),
    ...(hasLabels ? [{ field: "label", type: "nominal" as const, title: "cell" }] : []),
  ];
  // Outline only a clicked cell: `empty: false`, so nothing is outlined before a click.
  const outline: ParamConditionDef = {
    condition: { param: CELL_SELECTION_PARAM, value: 3, empty: false },
    value: 0,
  };
  const heat: ViewSpec = {
    width: options.width ?? 480,
    height: options.height ?? 280,
    ...(hasRuns ? { transform: [{ filter: "datum.kind === 'cell'" }] } : {}),
    layer: [
      {
        params: [{
          name: CELL_SELECTION_PARAM,
          select: { type: "point", fields: ["x", "y"] },
        }],
        mark: { type: "rect", tooltip: true, cursor: "pointer", stroke: "#d62728" },
        encoding: {
          x,
          y,
          strokeWidth: outline,
          tooltip,
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
          tooltip,
        },
      },
    ],
  };
  const top = {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(options.title ?? "Heatmap", options.subtitle),
    data: { values },
    config: BASE_CONFIG,
  };
  if (!hasRuns) return { ...top, width: heat.width, height: heat.height, layer: heat.layer };
  const picked = (on: string | number, off: string | number): ParamConditionDef => ({
    condition: { param: CELL_SELECTION_PARAM, value: on, empty: false },
    value: off,
  });
  const curves: ViewSpec = {
    title: `Training curves (${curveMetric}); click a cell above to pick its runs`,
    width: heat.width,
    height: options.curvesHeight ?? 180,
    transform: [{ filter: "datum.kind === 'curve'" }],
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative",
        title: "epoch",
        axis: { format: "d", tickMinStep: 1 },
        scale: { nice: false },
      },
      y: {
        field: "accuracy",
        type: "quantitative",
        title: curveMetric,
        axis: { format: ".1%" },
        scale: { zero: false },
      },
      detail: [{ field: "x", type: x.type }, { field: "y", type: y.type }, {
        field: "run",
        type: "nominal",
      }],
      color: picked("#d62728", "#bbbbbb"),
      opacity: picked(1, 0.35),
      strokeWidth: picked(2.5, 1),
      tooltip: [
        { field: "x", type: x.type, title: xTitle },
        { field: "y", type: y.type, title: yTitle },
        { field: "run", type: "nominal" },
        { field: "epoch", type: "quantitative" },
        { field: "accuracy", type: "quantitative", title: curveMetric, format: ".2%" },
      ],
    },
  };
  return { ...top, vconcat: [heat, curves] };
}
