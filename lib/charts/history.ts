/** Training curves: accuracy (train solid, test dashed) and loss per epoch, one line per run. */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  makeTitle,
  VEGA_LITE_SCHEMA,
  type ViewSpec,
} from "./spec.ts";

export interface HistoryPoint {
  /** 1-based epoch number. */
  epoch: number;
  trainAccuracy: number;
  testAccuracy?: number;
  loss: number;
}

export interface HistoryRun {
  name: string;
  history: HistoryPoint[];
}

export interface HistoryChartOptions extends BaseChartOptions {
  /** Fixed y domain of the accuracy panel, e.g. [0.8, 1]; default: fit the data. */
  accuracyDomain?: [number, number];
  /** Plot the loss on a log scale (useful when it spans orders of magnitude). */
  logLoss?: boolean;
  /** Leave out the loss panel. */
  showLoss?: boolean;
}

/**
 * Two side-by-side panels sharing the run colours. Width/height are per panel (default 300×240,
 * so the pair fits a notebook column). Data rows are long-format
 * `{run, epoch, metric: "accuracy"|"loss", split: "train"|"test", value}`.
 */
export function historyChart(runs: HistoryRun[], options: HistoryChartOptions = {}): ChartSpec {
  const width = options.width ?? 300;
  const height = options.height ?? 240;
  const values: Datum[] = [];
  let hasTest = false;
  for (const run of runs) {
    for (const p of run.history) {
      values.push({
        run: run.name,
        epoch: p.epoch,
        metric: "accuracy",
        split: "train",
        value: p.trainAccuracy,
      });
      if (p.testAccuracy !== undefined) {
        hasTest = true;
        values.push({
          run: run.name,
          epoch: p.epoch,
          metric: "accuracy",
          split: "test",
          value: p.testAccuracy,
        });
      }
      values.push({ run: run.name, epoch: p.epoch, metric: "loss", split: "train", value: p.loss });
    }
  }
  const runNames = runs.map((r) => r.name);
  const epochAxis = {
    field: "epoch",
    type: "quantitative" as const,
    title: "epoch",
    axis: { format: "d", tickMinStep: 1 },
    scale: { nice: false },
  };
  const color = {
    field: "run",
    type: "nominal" as const,
    title: "run",
    sort: runNames,
  };
  const tooltipFields = [
    { field: "run", type: "nominal" as const },
    { field: "split", type: "nominal" as const },
    { field: "epoch", type: "quantitative" as const },
    { field: "value", type: "quantitative" as const, format: ".4f" },
  ];
  const accuracyY = {
    field: "value",
    type: "quantitative" as const,
    title: "accuracy",
    axis: { format: ".0%" },
    scale: options.accuracyDomain ? { domain: options.accuracyDomain } : { zero: false },
  };
  // Lines and points are separate layers: with `point: true` on the line mark vega-lite draws
  // the split legend as filled dots, hiding the solid-vs-dashed difference it should explain.
  const accuracy: ViewSpec = {
    title: "Accuracy",
    width,
    height,
    transform: [{ filter: "datum.metric === 'accuracy'" }],
    layer: [
      {
        mark: { type: "line" },
        encoding: {
          x: epochAxis,
          y: accuracyY,
          color,
          ...(hasTest
            ? {
              strokeDash: {
                field: "split",
                type: "nominal" as const,
                title: "split",
                sort: ["train", "test"],
                legend: { symbolType: "stroke", symbolStrokeWidth: 2, symbolStrokeColor: "#444" },
              },
            }
            : {}),
        },
      },
      {
        mark: { type: "point", filled: true, tooltip: true },
        encoding: { x: epochAxis, y: accuracyY, color, tooltip: tooltipFields },
      },
    ],
  };
  const loss: ViewSpec = {
    title: "Loss",
    width,
    height,
    transform: [{ filter: "datum.metric === 'loss'" }],
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x: epochAxis,
      y: {
        field: "value",
        type: "quantitative",
        title: "training loss",
        scale: options.logLoss ? { type: "log" } : { zero: false },
      },
      color,
    },
  };
  const showLoss = options.showLoss ?? true;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(options.title ?? "Training history", options.subtitle),
    data: { values },
    hconcat: showLoss ? [accuracy, loss] : [accuracy],
    config: BASE_CONFIG,
  };
}
