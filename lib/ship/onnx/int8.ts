/**
 * 8-bit weights for ONNX files: symmetric int8 with one scale per output channel, the form
 * ONNX's DequantizeLinear reads (y = (q − 0) · scale, scale broadcast along `axis`) and the one
 * quantisation tools use for convolution and dense weights. Symmetric, because ONNX zero points
 * are integers: tfjs's uint8 format (value ≈ q · scale + min, lib/io/quantise.ts) has no exact
 * ONNX form. Per channel, because one wide channel then no longer coarsens every other.
 */

/** Quantised weights: `q[i] · scales[channel of i]` ≈ the original value, |error| ≤ scale / 2. */
export interface Int8Weights {
  readonly q: Int8Array;
  readonly scales: Float32Array;
}

/**
 * Quantises `values` (row-major, shape `dims`) with one scale per index of `axis`: scale =
 * max |v| / 127 over that channel, q = round(v / scale). An all-zero channel gets scale 1.
 */
export function quantiseInt8(
  values: Float32Array,
  dims: readonly number[],
  axis: number,
): Int8Weights {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new RangeError(`quantiseInt8: ${values.length} values do not fill shape [${dims}]`);
  }
  if (!(axis >= 0 && axis < dims.length)) {
    throw new RangeError(`quantiseInt8: axis ${axis} is outside shape [${dims}]`);
  }
  const channels = dims[axis];
  // Row-major: the channel of flat index i is floor(i / inner) mod channels.
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float32Array(channels);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      throw new Error(`cannot quantise a weight of ${v} at index ${i}: weights must be finite`);
    }
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(v));
  });
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(count);
  values.forEach((v, i) => (q[i] = Math.round(v / scales[channelOf(i)])));
  return { q, scales };
}
