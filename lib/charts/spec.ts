/**
 * A small, typed subset of a vega-lite v5 top-level spec.
 *
 * Why a subset instead of vega-lite's own `TopLevelSpec`: that union type is huge and hard to
 * narrow in tests and notebooks (`spec.layer[0].mark.type` needs several casts). The charts here
 * only use a handful of features, so a plain structural type keeps them easy to read and assert
 * on. `render.ts` hands the object to vega-lite's compiler, which validates it for real.
 *
 * Convention used by every chart builder in this folder: the data lives in ONE top-level
 * `data.values` array (panels and layers filter it), so the text fallback can print it as a table.
 */

/** vega-lite major version the specs target; must agree with the MIME type below. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Jupyter MIME type that JupyterLab and VS Code render natively with vega-lite 5. */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** One data row; values are kept primitive so the spec stays JSON. */
export type Datum = Record<string, string | number | boolean | null>;

export type FieldType = "quantitative" | "ordinal" | "nominal" | "temporal";

export type MarkType = "line" | "point" | "bar" | "rect" | "text" | "rule" | "tick" | "area";

export interface MarkDef {
  type: MarkType;
  point?: boolean;
  filled?: boolean;
  tooltip?: boolean;
  strokeWidth?: number;
  size?: number;
  thickness?: number;
  dy?: number;
  dx?: number;
  baseline?: "top" | "middle" | "bottom" | "alphabetic";
  align?: "left" | "center" | "right";
  fontSize?: number;
  color?: string;
  opacity?: number;
  clip?: boolean;
  stroke?: string;
  /** CSS cursor over the mark, e.g. "pointer" for clickable cells. */
  cursor?: "pointer" | "default";
}

export interface AxisDef {
  title?: string | null;
  format?: string;
  labelAngle?: number;
  grid?: boolean;
  tickMinStep?: number;
  labelLimit?: number;
}

export interface ScaleDef {
  domain?: (number | string)[];
  range?: (number | string)[];
  scheme?: string;
  zero?: boolean;
  nice?: boolean;
  type?: "linear" | "log" | "sqrt" | "band" | "point" | "ordinal";
}

export interface LegendDef {
  title?: string | null;
  orient?: "right" | "left" | "top" | "bottom" | "none";
  format?: string;
  /** "stroke" draws a line sample, so dashed vs solid series are told apart in the legend. */
  symbolType?: "circle" | "square" | "stroke";
  symbolStrokeWidth?: number;
  symbolStrokeColor?: string;
}

export interface FieldDef {
  field: string;
  type: FieldType;
  title?: string | null;
  axis?: AxisDef | null;
  scale?: ScaleDef | null;
  legend?: LegendDef | null;
  sort?: (string | number)[] | "ascending" | "descending" | null;
  format?: string;
  aggregate?: "mean" | "sum" | "min" | "max" | "count";
}

export interface ValueDef {
  value: string | number;
}

/** `{condition: {test, value}, value}` — used to pick a readable text colour per cell. */
export interface ConditionalValueDef {
  condition: { test: string; value: string | number };
  value: string | number;
}

/**
 * `{condition: {param, value}, value}`: one value while a selection param holds the datum (or is
 * empty, unless `empty: false`), the other otherwise; how legend toggles and cell highlights work.
 */
export interface ParamConditionDef {
  condition: { param: string; value: string | number; empty?: boolean };
  value: string | number;
}

/** An HTML input a variable param is bound to (vega-lite renders it beside the chart). */
export interface InputBind {
  input: "range";
  min: number;
  max: number;
  step: number;
  name?: string;
}

/** A value the chart's expressions read (`T`), optionally bound to an input such as a slider. */
export interface VariableParam {
  name: string;
  value: number;
  bind?: InputBind;
}

/** A click/legend selection over some fields; it lives in a unit view (a layer), not on top. */
export interface SelectionParam {
  name: string;
  select: { type: "point"; fields: string[]; on?: string; clear?: string | false };
  /** "legend": clicking the legend entries of the selected field toggles them. */
  bind?: "legend";
}

export type ParamDef = VariableParam | SelectionParam;

export interface Encoding {
  x?: FieldDef | ValueDef;
  y?: FieldDef | ValueDef;
  x2?: FieldDef;
  y2?: FieldDef;
  xOffset?: FieldDef;
  yOffset?: FieldDef;
  color?: FieldDef | ValueDef | ConditionalValueDef | ParamConditionDef;
  stroke?: ValueDef | ParamConditionDef;
  strokeWidth?: ValueDef | ParamConditionDef;
  strokeDash?: FieldDef;
  shape?: FieldDef;
  text?: FieldDef;
  tooltip?: FieldDef[];
  opacity?: FieldDef | ValueDef | ParamConditionDef;
  /** Splits lines without a legend (one line per value). */
  detail?: FieldDef | FieldDef[];
  /** Small multiples: one panel per value. */
  column?: FieldDef & { header?: { title?: string | null; labelFontSize?: number } };
}

export interface JoinAggregateOp {
  op: "max" | "min" | "sum" | "mean" | "count";
  field: string;
  as: string;
}

export type Transform =
  | { filter: string }
  | { calculate: string; as: string }
  | { joinaggregate: JoinAggregateOp[]; groupby?: string[] };

/** A unit or layered view (what appears inside `layer`, `hconcat` or at the top level). */
export interface ViewSpec {
  title?: string;
  width?: number;
  height?: number;
  mark?: MarkType | MarkDef;
  encoding?: Encoding;
  layer?: ViewSpec[];
  transform?: Transform[];
  params?: ParamDef[];
}

export interface TitleDef {
  text: string;
  subtitle?: string;
  anchor?: "start" | "middle" | "end";
}

/** The top-level spec every chart builder returns. */
export interface ChartSpec {
  $schema: string;
  title?: string | TitleDef;
  description?: string;
  width?: number;
  height?: number;
  data: { values: Datum[] };
  transform?: Transform[];
  mark?: MarkType | MarkDef;
  encoding?: Encoding;
  layer?: ViewSpec[];
  hconcat?: ViewSpec[];
  vconcat?: ViewSpec[];
  /** Top-level params: variable params (sliders); selections go into the views. */
  params?: VariableParam[];
  resolve?: { scale?: Record<string, "shared" | "independent"> };
  config?: Record<string, unknown>;
}

/** Options shared by all chart builders. */
export interface BaseChartOptions {
  title?: string;
  subtitle?: string;
  width?: number;
  height?: number;
}

/** Default plot size (inner data rectangle, pixels); the rendered SVG adds axes and legends. */
export const DEFAULT_WIDTH = 480;
export const DEFAULT_HEIGHT = 280;

/** Builds the `title` property: a plain string unless a subtitle is given. */
export function makeTitle(
  title: string | undefined,
  subtitle?: string,
): string | TitleDef | undefined {
  if (title === undefined) return undefined;
  return subtitle === undefined ? title : { text: title, subtitle };
}

/** The title's main text, whatever form the spec uses. */
export function titleText(spec: { title?: string | TitleDef }): string | undefined {
  if (spec.title === undefined) return undefined;
  return typeof spec.title === "string" ? spec.title : spec.title.text;
}

/** Escape a string for use inside a single-quoted vega expression string literal. */
export function exprString(s: string): string {
  return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

/**
 * Shared look: DejaVu Sans-like sans-serif everywhere (the PNG renderer loads DejaVu Sans, so the
 * SVG and PNG look alike) and a white background so PNG/SVG are readable on dark themes.
 */
export const BASE_CONFIG: Record<string, unknown> = {
  background: "white",
  font: "DejaVu Sans, Verdana, sans-serif",
  title: { fontSize: 14, subtitleFontSize: 11, anchor: "start" },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: "#ddd" },
};
