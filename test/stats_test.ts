import assert from "node:assert/strict";
import { formatMeanSd, meanSd } from "../lib/stats.ts";

Deno.test("meanSd: sample standard deviation, formatted as percentages", () => {
  // mean 0.97, deviations ±0.01 → sd = sqrt((1e-4 + 0 + 1e-4) / 2) = 0.01.
  const s = meanSd([0.96, 0.97, 0.98]);
  assert.ok(Math.abs(s.mean - 0.97) < 1e-12);
  assert.ok(Math.abs(s.sd - 0.01) < 1e-12);
  assert.equal(formatMeanSd(s), "97.00 ± 1.00 % (3 seeds)");
  assert.equal(formatMeanSd(meanSd([0.5])), "50.00 %");
  assert.throws(() => meanSd([]), /at least one value/);
});
