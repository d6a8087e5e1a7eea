/**
 * Weight formats for shipping a model: float32 as trained, float16 (half the bytes) and uint8
 * (a quarter: affine per tensor, value ≈ q · scale + min). Quantised weights are written in the
 * tfjs weights-manifest `quantization` layout ({ dtype: "uint8", scale, min } or
 * { dtype: "float16" }), so `tf.loadLayersModel` dequantises them on load, in Deno and in the
 * browser alike; nothing here is needed to read them back.
 */
import type * as tf from "@tensorflow/tfjs";

/** How `saveModel` stores weights: as trained, as half floats, or as one byte per value. */
export type WeightFormat = "float32" | "float16" | "uint8";

/** Every weight format, smallest last. */
export const WEIGHT_FORMATS: readonly WeightFormat[] = ["float32", "float16", "uint8"];

/** Bytes one stored value takes in the weights file, by its dtype or quantisation dtype. */
export function bytesPerValue(spec: tf.io.WeightsManifestEntry): number {
  const q = spec.quantization?.dtype;
  if (q === "uint8") return 1;
  if (q === "uint16" || q === "float16") return 2;
  return spec.dtype === "bool" ? 1 : 4;
}

/** Bytes a manifest's weights take on disk, summed over its entries. */
export function manifestBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerValue(s), 0);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The IEEE 754 half-precision bits nearest to `value` (round to nearest, ties to even), as
 * tfjs' float16 decoder reads them. Too large → ±Infinity; below half the smallest subnormal → ±0.
 */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Infinity or NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: shift the mantissa (with its implicit 1) right by 1 - e more places.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++; // may carry into the exponent
  e = half >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : half);
}

/** uint8 parameters for one tensor: q = round((v − min) / scale), so the error is ≤ scale / 2. */
export function uint8Params(values: Float32Array): { scale: number; min: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v)) {
      throw new Error(
        `cannot quantise a tensor holding ${v} at index ${i}: weights must be finite`,
      );
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return { scale: 1, min: 0 };
  // A constant tensor (a fresh bias of zeros) still needs a non-zero scale to divide by.
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, min };
}

/**
 * Re-encodes float32 weights (as `model.save` hands them over: `specs` in order, their values
 * packed in `data`) into `format`. Non-float32 entries are copied as they are.
 */
export function encodeWeights(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  format: WeightFormat,
): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const out: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = size * bytesPerValue(spec);
    if (offset + bytes > data.byteLength) {
      throw new Error(
        `weight ${spec.name} needs bytes ${offset}…${offset + bytes} of ${data.byteLength}: ` +
          `the manifest and the weight data do not match`,
      );
    }
    if (format === "float32" || spec.dtype !== "float32" || spec.quantization) {
      chunks.push(new Uint8Array(data.slice(offset, offset + bytes)));
      out.push({ ...spec });
    } else {
      const values = new Float32Array(data.slice(offset, offset + bytes));
      if (format === "float16") {
        const half = new Uint16Array(size);
        for (let i = 0; i < size; i++) half[i] = toFloat16Bits(values[i]);
        chunks.push(new Uint8Array(half.buffer));
        out.push({ ...spec, quantization: { dtype: "float16" } });
      } else {
        const { scale, min } = uint8Params(values);
        const q = new Uint8Array(size);
        for (let i = 0; i < size; i++) {
          q[i] = Math.min(255, Math.max(0, Math.round((values[i] - min) / scale)));
        }
        chunks.push(q);
        out.push({ ...spec, quantization: { dtype: "uint8", scale, min } });
      }
    }
    offset += bytes;
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const packed = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    packed.set(c, at);
    at += c.length;
  }
  return { specs: out, data: packed };
}

/** The format a saved manifest's float weights are in (float32 when nothing is quantised). */
export function formatOf(specs: readonly tf.io.WeightsManifestEntry[]): WeightFormat {
  const q = specs.find((s) => s.quantization)?.quantization?.dtype;
  return q === "uint8" ? "uint8" : q === "float16" ? "float16" : "float32";
}
