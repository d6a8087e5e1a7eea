/** Softmax with temperature: the same logits at several T, showing that higher T is flatter. */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  makeTitle,
  VEGA_LITE_SCHEMA,
} from "./spec.ts";

/** softmax(logits / T), computed stably (max subtracted before exp). */
export function softmaxWithTemperature(logits: number[], temperature: number): number[] {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  const scaled = logits.map((z) => z / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

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
    const probs = softmaxWithTemperature(logits, t);
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
