/** Confusion-matrix heatmap: rows = true class, columns = predicted class, counts printed. */
import { type HeatCell, heatmapChart } from "./heatmap.ts";
import type { BaseChartOptions, ChartSpec } from "./spec.ts";

export interface ConfusionChartOptions extends BaseChartOptions {
  /**
   * Colour by the row-normalised rate (fraction of each true class) instead of the raw count.
   * Default true: classes with more test examples would otherwise dominate the colours.
   */
  normalize?: boolean;
}

/**
 * `matrix[i][j]` = number of examples of true class i predicted as class j. Cells print the count;
 * with `normalize` (default) the colour is the row rate. Data rows are heatmap rows
 * `{x: predicted, y: true, value, label}`.
 */
export function confusionChart(
  matrix: number[][],
  classNames: string[],
  options: ConfusionChartOptions = {},
): ChartSpec {
  const n = classNames.length;
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new RangeError(`confusion matrix must be ${n}×${n} to match the class names`);
  }
  const normalize = options.normalize ?? true;
  const cells: HeatCell[] = [];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      cells.push({
        x: classNames[j],
        y: classNames[i],
        value: normalize ? (total > 0 ? count / total : 0) : count,
        label: String(count),
      });
    });
  });
  // Square cells: ~28px per class, but never smaller than 200px overall.
  const side = Math.max(200, Math.min(480, 28 * n));
  return heatmapChart(cells, {
    title: options.title ?? "Confusion matrix",
    subtitle: options.subtitle,
    width: options.width ?? side,
    height: options.height ?? side,
    xTitle: "predicted",
    yTitle: "true class",
    valueTitle: normalize ? "row rate" : "count",
    format: normalize ? ".0%" : "d",
    domain: normalize ? [0, 1] : undefined,
    xSort: classNames,
    ySort: classNames,
  });
}
