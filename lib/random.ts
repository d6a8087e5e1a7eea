/**
 * Seeded pseudo-random numbers. Every source of randomness in the library
 * (weight init, shuffles, synthetic data) takes a seed so a run can be repeated
 * number for number.
 */

/** A seeded generator of floats in [0, 1). */
export interface Rng {
  /** Next float in [0, 1). */
  next(): number;
  /** Next integer in [0, n). */
  int(n: number): number;
  /** Next standard-normal sample (Box–Muller). */
  normal(): number;
  /** The generator's internal state, so a run can checkpoint and resume it. */
  state(): number;
}

/**
 * Mulberry32: a tiny 32-bit generator, fast and good enough for shuffling and
 * synthetic data (not for cryptography).
 */
export function createRng(seed: number, state?: number): Rng {
  if (!Number.isFinite(seed)) {
    throw new RangeError(`seed must be a finite number, got ${seed}`);
  }
  let s = (state ?? seed) >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      // 1 - u keeps the logarithm's argument in (0, 1].
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => s,
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
