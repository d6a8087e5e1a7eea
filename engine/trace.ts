/**
 * The trace: which path each of this package's kernels took, and how often, since the process
 * started. Every kernel that has more than one way to run records the one it took (Sum "fast",
 * "simd" or "fallback"; Conv2D "native"; ...), so that tests can assert that our path ran, not
 * tfjs's stock kernel, and the profile can say how often the native layer fell back.
 */

/** Counts per kernel and path: `{ Sum: { fast: 5, simd: 3 } }`. */
export type TraceCounts = Record<string, Record<string, number>>;

const counts = new Map<string, Map<string, number>>();

/**
 * Records that `kernel` ran down `path`. A call may record a path and a refinement of it (Sum
 * records "fast", then "simd" when the fast path ran as SIMD sums).
 */
export function trace(kernel: string, path: string): void {
  let paths = counts.get(kernel);
  if (paths === undefined) counts.set(kernel, paths = new Map());
  paths.set(path, (paths.get(path) ?? 0) + 1);
}

/** Everything recorded so far. */
export function traceSnapshot(): TraceCounts {
  const out: TraceCounts = {};
  for (const [kernel, paths] of counts) out[kernel] = Object.fromEntries(paths);
  return out;
}

/** What was recorded after `before` (a snapshot): only the kernels and paths that ran since. */
export function traceSince(before: TraceCounts): TraceCounts {
  const out: TraceCounts = {};
  for (const [kernel, paths] of counts) {
    for (const [path, n] of paths) {
      const ran = n - (before[kernel]?.[path] ?? 0);
      if (ran > 0) (out[kernel] ??= {})[path] = ran;
    }
  }
  return out;
}

/** The trace of what the synchronous `fn` ran. */
export function traceOf(fn: () => void): TraceCounts {
  const before = traceSnapshot();
  fn();
  return traceSince(before);
}
