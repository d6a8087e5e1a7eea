/**
 * Softmax of plain numbers, for charts, checks and notebook walk-throughs (tensors use tfjs'
 * `tf.softmax`, as `softTargets` does). The one copy: the temperature chart, the exercises'
 * reference answers and the browser report's check all compute it here.
 */

function scaled(logits: readonly number[], temperature: number): number[] {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a positive number, got ${temperature}`);
  }
  return logits.map((z) => z / temperature);
}

/** softmax(logits / T), stable for large logits (the max is subtracted before exp). */
export function softmax(logits: readonly number[], temperature = 1): number[] {
  const z = scaled(logits, temperature);
  const max = Math.max(...z);
  const exps = z.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** log softmax(logits / T) = z − log Σ exp(z), with the max taken out of the sum. */
export function logSoftmax(logits: readonly number[], temperature = 1): number[] {
  const z = scaled(logits, temperature);
  const max = Math.max(...z);
  const logSumExp = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
  return z.map((v) => v - logSumExp);
}
