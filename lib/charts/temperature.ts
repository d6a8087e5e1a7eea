/** Softmax with temperature: the same logits at several T, showing that higher T is flatter. */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  type InputBind,
  makeTitle,
  VEGA_LITE_SCHEMA,
} from "./spec.ts";
import { softmax } from "../softmax.ts";

export interface TemperatureChartOptions extends BaseChartOptions {
  /** Class names for the x axis (default "0", "1", …). */
  classNames?: string[];
}

/**
 * Grouped bars: x = class, one bar per temperature, coloured by T (sequential scheme, so the
 * ordering of T is visible). Data rows are `{class, classIndex, temperature, T, probability}`
 * where `T` is the legend label ("T = 4").
 */
export function softmaxTemperatureChart(
  logits: number[],
  temperatures: number[],
  options: TemperatureChartOptions = {},
): ChartSpec {
  const names = options.classNames ?? logits.map((_, i) => String(i));
  if (names.length !== logits.length) {
    throw new RangeError(`got ${names.length} class names for ${logits.length} logits`);
  }
  const temps = [...temperatures].sort((a, b) => a - b);
  const tLabel = (t: number) => `T = ${t}`;
  const values: Datum[] = [];
  for (const t of temps) {
    const probs = softmax(logits, t);
    probs.forEach((p, i) => {
      values.push({ class: names[i], classIndex: i, temperature: t, T: tLabel(t), probability: p });
    });
  }
  const tOrder = temps.map(tLabel);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(
      options.title ?? "Softmax with temperature",
      options.subtitle ?? "softmax(z / T): higher T spreads probability over more classes",
    ),
    width: options.width ?? 480,
    height: options.height ?? 280,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "class", type: "nominal", title: "class", sort: names, axis: { labelAngle: 0 } },
      xOffset: { field: "T", type: "nominal", sort: tOrder },
      y: {
        field: "probability",
        type: "quantitative",
        title: "probability",
        scale: { domain: [0, 1] },
      },
      color: {
        field: "T",
        type: "ordinal",
        title: "temperature",
        sort: tOrder,
        scale: { scheme: "viridis" },
      },
    },
    config: BASE_CONFIG,
  };
}

/** The slider's param name: the chart's expressions read the temperature as `T`. */
export const TEMPERATURE_PARAM = "T";

/** One image's raw logits (the teacher's outputs before any softmax). */
export interface LogitsExample {
  /** Panel header, e.g. "image 0 (label 7)". */
  label: string;
  logits: number[];
}

export interface TemperatureSliderOptions extends TemperatureChartOptions {
  /** The slider's start value and the static render's T (default 1). */
  temperature?: number;
  /** Slider range and step (default 0.5 to 20 in steps of 0.5). */
  min?: number;
  max?: number;
  step?: number;
}

/**
 * Bars of softmax(z / T) for a few images, one panel each, with T on a slider: vega-lite
 * recomputes the softmax from the raw logits in the chart (max subtracted before exp, as in
 * lib/softmax.ts), so moving the slider needs no kernel. Data rows are
 * `{example, class, classIndex, logit}`; the static SVG/PNG shows T at its start value. No field
 * is named `image`: vega-embed's tooltip shows such a field as an <img> with the value as its URL.
 */
export function temperatureSliderChart(
  examples: LogitsExample[],
  options: TemperatureSliderOptions = {},
): ChartSpec {
  if (examples.length === 0) throw new RangeError("temperatureSliderChart: no examples given");
  const n = examples[0].logits.length;
  const names = options.classNames ?? examples[0].logits.map((_, i) => String(i));
  for (const e of examples) {
    if (e.logits.length !== n) {
      throw new RangeError(
        `temperatureSliderChart: "${e.label}" has ${e.logits.length} logits, the first has ${n}`,
      );
    }
  }
  if (names.length !== n) throw new RangeError(`got ${names.length} class names for ${n} logits`);
  const min = options.min ?? 0.5;
  const max = options.max ?? 20;
  const step = options.step ?? 0.5;
  const start = options.temperature ?? 1;
  if (!(min > 0) || !(max > min) || start < min || start > max) {
    throw new RangeError(
      `temperatureSliderChart: need 0 < min < max and min ≤ temperature ≤ max, got ${min}, ${max}, ${start}`,
    );
  }
  const values: Datum[] = [];
  for (const e of examples) {
    e.logits.forEach((z, i) =>
      values.push({ example: e.label, class: names[i], classIndex: i, logit: z })
    );
  }
  const bind: InputBind = { input: "range", min, max, step, name: "temperature T " };
  const T = TEMPERATURE_PARAM;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(
      options.title ?? "Softmax with temperature",
      options.subtitle ?? `softmax(z / T) of the teacher's logits: move T and watch the bars`,
    ),
    width: options.width ?? Math.max(160, Math.round(480 / examples.length)),
    height: options.height ?? 200,
    params: [{ name: T, value: start, bind }],
    data: { values },
    transform: [
      { calculate: `datum.logit / ${T}`, as: "scaled" },
      { joinaggregate: [{ op: "max", field: "scaled", as: "maxScaled" }], groupby: ["example"] },
      { calculate: "exp(datum.scaled - datum.maxScaled)", as: "weight" },
      { joinaggregate: [{ op: "sum", field: "weight", as: "total" }], groupby: ["example"] },
      { calculate: "datum.weight / datum.total", as: "probability" },
    ],
    mark: { type: "bar", tooltip: true, color: "#3b6fb6" },
    encoding: {
      column: {
        field: "example",
        type: "nominal",
        title: null,
        sort: examples.map((e) => e.label),
        header: { labelFontSize: 12 },
      },
      x: { field: "class", type: "nominal", title: "class", sort: names, axis: { labelAngle: 0 } },
      y: {
        field: "probability",
        type: "quantitative",
        title: "probability",
        scale: { domain: [0, 1] },
      },
      tooltip: [
        { field: "example", type: "nominal" },
        { field: "class", type: "nominal" },
        { field: "logit", type: "quantitative", format: ".3f" },
        { field: "probability", type: "quantitative", format: ".4f" },
      ],
    },
    config: BASE_CONFIG,
  };
}
