/** Summaries of repeated runs: results are reported as mean ± sd over seeds. */

export interface MeanSd {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  sd: number;
  n: number;
}

export function meanSd(values: readonly number[]): MeanSd {
  if (values.length === 0) throw new RangeError("meanSd needs at least one value");
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** The middle value (the mean of the two middle ones for an even count), as Python's median. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median needs at least one value");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** "97.72 ± 0.08 % (3 seeds)" for fractions; a single run prints without ±. */
export function formatMeanSd(s: MeanSd): string {
  const pct = (v: number) => (100 * v).toFixed(2);
  return s.n > 1 ? `${pct(s.mean)} ± ${pct(s.sd)} % (${s.n} seeds)` : `${pct(s.mean)} %`;
}

/** One experiment repeated over seeds: every run, and its final test accuracies summarised. */
export interface SeededRuns<R> {
  readonly runs: R[];
  readonly accuracy: MeanSd;
}

/**
 * Runs `run(seed)` for each seed, one after another (runs share the CPU), and
 * summarises their `finalTestAccuracy` as mean ± sd. `runs[0]` is the first
 * seed's run, the one a notebook draws when it shows a single history.
 */
export async function overSeeds<R extends { readonly finalTestAccuracy: number }>(
  seeds: readonly number[],
  run: (seed: number) => Promise<R>,
): Promise<SeededRuns<R>> {
  if (seeds.length === 0) throw new RangeError("overSeeds needs at least one seed");
  const runs: R[] = [];
  for (const seed of seeds) runs.push(await run(seed));
  return { runs, accuracy: meanSd(runs.map((r) => r.finalTestAccuracy)) };
}

/** A method's mean accuracy against a baseline's, with the noise of both. */
export interface Difference {
  /** candidate mean − baseline mean (fractions). */
  readonly difference: number;
  /** Standard error of that difference, √(sd_c²/n_c + sd_b²/n_b); NaN when a side has one run. */
  readonly standardError: number;
  /** |difference| > 2 standard errors; undefined when a side has one run (no spread to judge by). */
  readonly beyondNoise: boolean | undefined;
}

export function differenceFrom(candidate: MeanSd, baseline: MeanSd): Difference {
  const difference = candidate.mean - baseline.mean;
  if (candidate.n < 2 || baseline.n < 2) {
    return { difference, standardError: NaN, beyondNoise: undefined };
  }
  const standardError = Math.sqrt(
    candidate.sd ** 2 / candidate.n + baseline.sd ** 2 / baseline.n,
  );
  return { difference, standardError, beyondNoise: Math.abs(difference) > 2 * standardError };
}

/** A difference of fractions in percentage points, signed: 0.0084 → "+0.84 pp", −0.0032 → "−0.32 pp". */
export function formatPoints(difference: number): string {
  return `${difference >= 0 ? "+" : "−"}${(100 * Math.abs(difference)).toFixed(2)} pp`;
}

/**
 * One sentence on whether `name` differs from `baseline` by more than the
 * seed-to-seed noise: "CE + KD: +0.84 pp vs CE only; two standard errors are
 * 0.61 pp, so the gain is beyond the noise."
 */
export function describeDifference(name: string, baseline: string, d: Difference): string {
  const pp = (v: number) => `${(100 * v).toFixed(2)} pp`;
  const head = `${name}: ${formatPoints(d.difference)} vs ${baseline}`;
  if (d.beyondNoise === undefined) {
    return `${head}; one seed per method gives no spread to judge by.`;
  }
  const what = d.difference >= 0 ? "gain" : "loss";
  return `${head}; two standard errors are ${pp(2 * d.standardError)}, so the ${what} is ${
    d.beyondNoise ? "beyond" : "within"
  } the noise.`;
}
