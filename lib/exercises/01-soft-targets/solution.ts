/** A solution of exercise 01-soft-targets: softmax(row / T) for every row. */
import type { SoftTargetsFn } from "./mod.ts";

export const solution = (): SoftTargetsFn => (logits, temperature) =>
  logits.map((row) => {
    // Subtracting the row's max keeps exp() finite and leaves softmax unchanged.
    const top = Math.max(...row);
    const e = row.map((z) => Math.exp((z - top) / temperature));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
