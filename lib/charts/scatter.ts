/**
 * Points on two quantitative axes, coloured (and optionally shaped) by a category: notebook 03's
 * people by age and income, and notebook 06's Pareto view of accuracy against size or latency,
 * one panel per task.
 */
import {
  type AxisDef,
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  type Encoding,
  exprString,
  type FieldDef,
  makeTitle,
  type MarkDef,
  type ScaleDef,
  VEGA_LITE_SCHEMA,
} from "./spec.ts";

/** One axis: the datum field it plots, its title, and how its values read. */
export interface ScatterAxis {
  field: string;
  title: string;
  /** d3 format of the axis labels, e.g. ".1%" or "$,d". */
  format?: string;
  /** A log scale (sizes and latencies spanning decades). */
  log?: boolean;
  /** Start the axis at zero (default false: the points fill the panel). */
  zero?: boolean;
}

/** A category drawn as colour or shape, with its legend order. */
export interface ScatterCategory {
  field: string;
  title?: string;
  sort?: readonly string[];
}

export interface ScatterChartOptions extends BaseChartOptions {
  x: ScatterAxis;
  y: ScatterAxis;
  color: ScatterCategory;
  shape?: ScatterCategory;
  /** One panel per value of this field, side by side, each with its own scales. */
  panels?: { field: string; values: readonly string[] };
  /** Point area in square pixels (default 60). */
  pointSize?: number;
}

function axisEncoding(a: ScatterAxis): FieldDef {
  const axis: AxisDef = a.format ? { format: a.format } : {};
  const scale: ScaleDef = a.log ? { type: "log" } : { zero: a.zero ?? false };
  return { field: a.field, type: "quantitative", title: a.title, axis, scale };
}

function category(c: ScatterCategory): FieldDef {
  const field: FieldDef = { field: c.field, type: "nominal", title: c.title ?? c.field };
  return c.sort ? { ...field, sort: [...c.sort] } : field;
}

/** Data rows are the points as given; every field they hold shows in the tooltip. */
export function scatterChart(points: Datum[], options: ScatterChartOptions): ChartSpec {
  const view = (width: number, height: number) => {
    const encoding: Encoding = {
      x: axisEncoding(options.x),
      y: axisEncoding(options.y),
      color: category(options.color),
      ...(options.shape ? { shape: category(options.shape) } : {}),
    };
    const mark: MarkDef = {
      type: "point",
      filled: true,
      size: options.pointSize ?? 60,
      tooltip: true,
    };
    return { width, height, mark, encoding };
  };
  const title = makeTitle(options.title, options.subtitle);
  const panels = options.panels;
  if (!panels) {
    return {
      $schema: VEGA_LITE_SCHEMA,
      title,
      data: { values: points },
      ...view(options.width ?? 420, options.height ?? 260),
      config: BASE_CONFIG,
    };
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    data: { values: points },
    hconcat: panels.values.map((value) => ({
      title: value,
      transform: [{ filter: `datum[${exprString(panels.field)}] === ${exprString(value)}` }],
      ...view(options.width ?? 260, options.height ?? 220),
    })),
    config: BASE_CONFIG,
  };
}
