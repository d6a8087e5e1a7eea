/** A solution of exercise 05-ensemble-target: the two teachers' probabilities averaged. */
import type { EnsembleTargetFn } from "./mod.ts";

export const solution = (): EnsembleTargetFn => (probsA, probsB) =>
  probsA.map((row, i) => row.map((p, j) => (p + probsB[i][j]) / 2));
