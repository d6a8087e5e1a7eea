/**
 * Training curves: accuracy (train solid, test dashed) and loss per epoch, one line per run.
 * Interactive where a vega-lite renderer runs (JupyterLab, VS Code, the HTML reports): hovering a
 * point shows that run's epoch, accuracies and loss together; clicking a run in the legend keeps
 * it bright and fades the others (shift-click adds runs, double-click clears). The static SVG/PNG
 * is the chart with nothing selected.
 */
import {
  BASE_CONFIG,
  type BaseChartOptions,
  type ChartSpec,
  type Datum,
  type FieldDef,
  makeTitle,
  type ParamConditionDef,
  type SelectionParam,
  type Transform,
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

/** The legend selection's param name (tests and the browser check look for it). */
export const RUN_SELECTION_PARAM = "runSelect";

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
  /**
   * For runs of thousands of epochs: draw about this many per run (the first, every k-th and
   * every evaluated one).
   */
  maxPoints?: number;
}

function thinned(history: readonly HistoryPoint[], maxPoints: number | undefined) {
  if (maxPoints === undefined) return history;
  const step = Math.max(1, Math.round(history.length / maxPoints));
  return history.filter((p) =>
    p.epoch === 1 || p.epoch % step === 0 || p.testAccuracy !== undefined
  );
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
    for (const p of thinned(run.history, options.maxPoints)) {
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
  // Every row gets its (run, epoch)'s train/test accuracy and loss, so one hover shows all three
  // whichever point it is on; done by the chart's transforms so data.values (and the text table)
  // stay one long-format row per value.
  const metricsTransform: Transform[] = [
    { calculate: "datum.metric === 'loss' ? datum.value : null", as: "lossAt" },
    {
      calculate: "datum.metric === 'accuracy' && datum.split === 'train' ? datum.value : null",
      as: "trainAt",
    },
    {
      calculate: "datum.metric === 'accuracy' && datum.split === 'test' ? datum.value : null",
      as: "testAt",
    },
    {
      joinaggregate: [
        { op: "max", field: "lossAt", as: "loss" },
        { op: "max", field: "trainAt", as: "train accuracy" },
        { op: "max", field: "testAt", as: "test accuracy" },
      ],
      groupby: ["run", "epoch"],
    },
  ];
  const tooltipFields: FieldDef[] = [
    { field: "run", type: "nominal" },
    { field: "epoch", type: "quantitative" },
    { field: "train accuracy", type: "quantitative", format: ".2%" },
    ...(hasTest ? [{ field: "test accuracy", type: "quantitative" as const, format: ".2%" }] : []),
    { field: "loss", type: "quantitative", title: "training loss", format: ".4f" },
  ];
  // Runs not picked in the legend fade; with nothing picked (the static render) all are full.
  const opacity: ParamConditionDef = {
    condition: { param: RUN_SELECTION_PARAM, value: 1 },
    value: 0.12,
  };
  const legendSelection: SelectionParam = {
    name: RUN_SELECTION_PARAM,
    select: { type: "point", fields: ["run"] },
    bind: "legend",
  };
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
        params: [legendSelection],
        mark: { type: "line" },
        encoding: {
          x: epochAxis,
          y: accuracyY,
          color,
          opacity,
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
        encoding: { x: epochAxis, y: accuracyY, color, opacity, tooltip: tooltipFields },
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
      opacity,
      tooltip: tooltipFields,
    },
  };
  const showLoss = options.showLoss ?? true;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: makeTitle(options.title ?? "Training history", options.subtitle),
    data: { values },
    transform: metricsTransform,
    hconcat: showLoss ? [accuracy, loss] : [accuracy],
    config: BASE_CONFIG,
  };
}
