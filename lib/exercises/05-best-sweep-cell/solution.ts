/** A solution of exercise 05-best-sweep-cell: the cell with the highest accuracy. */
import type { SweepPicker } from "./mod.ts";

export const solution = (): SweepPicker => (cells) => {
  const best = cells.reduce((b, c) => (c.accuracy > b.accuracy ? c : b));
  return { temperature: best.temperature, lambda: best.lambda };
};
