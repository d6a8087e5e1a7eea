/** A solution of exercise 06-smallest-close: filter by accuracy, then take the fewest bytes. */
import type { SmallestCloseFn } from "./mod.ts";

export const solution = (): SmallestCloseFn => (rows, teacherAccuracy) =>
  rows.filter((r) => r.accuracy >= teacherAccuracy - 0.01)
    .reduce((best, r) => (r.bytes < best.bytes ? r : best));
