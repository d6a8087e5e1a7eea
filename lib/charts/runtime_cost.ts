/**
 * What each way of shipping a model costs: size and batch-1 latency, one dot per model and
 * runtime, side by side. Both axes are logarithmic: the models span two orders of magnitude in
 * bytes and milliseconds, and on a linear axis the students would sit on zero.
 */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type FieldDef,
  makeTitle,
  VEGA_LITE_SCHEMA,
  type ViewSpec,
} from "./spec.ts";

/** One model run one way, e.g. "ONNX Runtime, int8". */
export interface RuntimePoint {
  model: string;
  setup: string;
  bytes: number;
  latencyMs: number;
}

/** Data rows are `{model, setup, kib, latencyMs}`; models keep their input order. */
export function runtimeCostChart(
  points: readonly RuntimePoint[],
  options: BaseChartOptions = {},
): ChartSpec {
  const models = [...new Set(points.map((p) => p.model))];
  const setups = [...new Set(points.map((p) => p.setup))];
  const y: FieldDef = { field: "model", type: "nominal", title: null, sort: models };
  const panel = (field: string, title: string): ViewSpec => ({
    width: options.width ?? 260,
    height: options.height ?? 12 * models.length * setups.length,
    mark: { type: "point", filled: true, size: 90, opacity: 0.85, tooltip: true },
    encoding: {
      x: { field, type: "quantitative", title, scale: { type: "log" } },
      y,
      // Each setup on its own row within the model's band: tfjs's and ONNX's float32 files are
      // nearly the same size, and would hide each other on one line.
      yOffset: { field: "setup", type: "nominal", sort: setups },
      color: { field: "setup", type: "nominal", title: "runtime, weights", sort: setups },
    },
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: makeTitle(options.title, options.subtitle) } : {}),
    data: {
      values: points.map((p) => ({
        model: p.model,
        setup: p.setup,
        kib: p.bytes / 1024,
        latencyMs: p.latencyMs,
      })),
    },
    hconcat: [
      panel("kib", "size (KiB, log scale)"),
      panel("latencyMs", "latency at batch 1 (ms, log scale)"),
    ],
    config: { ...BASE_CONFIG, legend: { ...BASE_CONFIG.legend as object, labelLimit: 240 } },
  };
}
