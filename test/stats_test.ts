import assert from "node:assert/strict";
import {
  describeDifference,
  differenceFrom,
  formatMeanSd,
  meanSd,
  median,
  overSeeds,
} from "../lib/stats.ts";

Deno.test("meanSd: sample standard deviation, formatted as percentages", () => {
  // mean 0.97, deviations ±0.01 → sd = sqrt((1e-4 + 0 + 1e-4) / 2) = 0.01.
  const s = meanSd([0.96, 0.97, 0.98]);
  assert.ok(Math.abs(s.mean - 0.97) < 1e-12);
  assert.ok(Math.abs(s.sd - 0.01) < 1e-12);
  assert.equal(formatMeanSd(s), "97.00 ± 1.00 % (3 seeds)");
  assert.equal(formatMeanSd(meanSd([0.5])), "50.00 %");
  assert.throws(() => meanSd([]), /at least one value/);
});

Deno.test("median: the middle value, or the mean of the two middle ones; input untouched", () => {
  const values = [1259, 964, 1237];
  assert.equal(median(values), 1237);
  assert.deepEqual(values, [1259, 964, 1237], "not sorted in place");
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.throws(() => median([]), /at least one value/);
});

Deno.test("overSeeds: runs each seed in order and summarises the final accuracies", async () => {
  const order: number[] = [];
  const { runs, accuracy } = await overSeeds([3, 1, 2], async (seed) => {
    order.push(seed);
    await Promise.resolve();
    return { seed, finalTestAccuracy: 0.9 + seed / 100 };
  });
  assert.deepEqual(order, [3, 1, 2]);
  assert.deepEqual(runs.map((r) => r.seed), [3, 1, 2]);
  // 0.93, 0.91, 0.92: mean 0.92, sd sqrt((1e-4 + 1e-4 + 0) / 2) = 0.01.
  assert.ok(Math.abs(accuracy.mean - 0.92) < 1e-12);
  assert.ok(Math.abs(accuracy.sd - 0.01) < 1e-12);
  assert.equal(accuracy.n, 3);
  await assert.rejects(() => overSeeds([], () => Promise.resolve({ finalTestAccuracy: 1 })), {
    message: "overSeeds needs at least one seed",
  });
});

Deno.test("differenceFrom: the gap and its standard error, judged against two of them", () => {
  const baseline = meanSd([0.68, 0.69, 0.70]); // mean 0.69, sd 0.01
  const gain = differenceFrom(meanSd([0.70, 0.71, 0.72]), baseline);
  assert.ok(Math.abs(gain.difference - 0.02) < 1e-12);
  // √(0.01²/3 + 0.01²/3) = 0.0081650
  assert.ok(Math.abs(gain.standardError - 0.0081650) < 1e-7, String(gain.standardError));
  assert.equal(gain.beyondNoise, true);
  assert.equal(
    describeDifference("CE + KD", "CE only", gain),
    "CE + KD: +2.00 pp vs CE only; two standard errors are 1.63 pp, so the gain is beyond the noise.",
  );
  const small = differenceFrom(meanSd([0.69, 0.70, 0.71]), baseline);
  assert.equal(small.beyondNoise, false);
  assert.equal(
    describeDifference("CE + cosine", "CE only", small),
    "CE + cosine: +1.00 pp vs CE only; two standard errors are 1.63 pp, so the gain is within the noise.",
  );
  const loss = differenceFrom(meanSd([0.64, 0.65, 0.66]), baseline);
  assert.match(
    describeDifference("hint", "CE only", loss),
    /^hint: −4\.00 pp .* the loss is beyond/,
  );
  const single = differenceFrom(meanSd([0.70]), meanSd([0.69]));
  assert.equal(single.beyondNoise, undefined);
  assert.ok(Number.isNaN(single.standardError));
  assert.match(describeDifference("KD", "CE", single), /one seed per method gives no spread/);
});
