/**
 * How fast a model answers on the current backend: latency for one input (what a person drawing
 * a digit waits for) and throughput for a full batch (what a server pays per image). These are
 * measurements for a notebook to show; they vary with the machine and its load, so tests check
 * only their shape, never their values.
 */
import * as tf from "@tensorflow/tfjs";
import { median } from "../stats.ts";

/** Options for `latencyBatch1`. */
export interface LatencyOptions {
  /** Timed calls (default 200: a median over fewer moves with every hiccup). */
  calls?: number;
  /** Untimed calls first, so kernels are compiled and caches warm (default 20). */
  warmup?: number;
}

/** Latency at batch 1. */
export interface Latency {
  /** Median over the timed calls, in milliseconds. */
  readonly medianMs: number;
  /** 90th percentile, in milliseconds: the slow calls a user notices. */
  readonly p90Ms: number;
  readonly calls: number;
}

/** Median and 90th percentile of call times in milliseconds (at least one). */
export function latencyOf(times: readonly number[]): Latency {
  const sorted = times.slice().sort((a, b) => a - b);
  return {
    medianMs: median(times),
    p90Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.9 * sorted.length))],
    calls: times.length,
  };
}

/** The input shape a model takes, without the batch axis. */
function sampleShape(model: tf.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d == null)) {
    throw new Error(`model ${model.name} has an input of unknown size ${shape}; cannot time it`);
  }
  return shape as number[];
}

/** One forward pass on `x`, waited for (dataSync: the backend may run asynchronously). */
function predictOnce(model: tf.LayersModel, x: tf.Tensor): void {
  tf.tidy(() => {
    const y = model.predict(x);
    (Array.isArray(y) ? y[0] : y).dataSync();
  });
}

/** Times `calls` single-image predictions after `warmup` untimed ones; seeded input. */
export function latencyBatch1(model: tf.LayersModel, options: LatencyOptions = {}): Latency {
  const { calls = 200, warmup = 20 } = options;
  if (!(calls >= 1)) throw new Error(`latencyBatch1: calls must be at least 1, got ${calls}`);
  const x = tf.randomUniform([1, ...sampleShape(model)], 0, 1, "float32", 11);
  try {
    for (let i = 0; i < warmup; i++) predictOnce(model, x);
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      predictOnce(model, x);
      times.push(performance.now() - t0);
    }
    return latencyOf(times);
  } finally {
    x.dispose();
  }
}

/** Options for `throughput`. */
export interface ThroughputOptions {
  /** Images per call (default 256). */
  batchSize?: number;
  /** Timed calls; the median is reported (default 5). */
  repeats?: number;
  /** Untimed calls first (default 1). */
  warmup?: number;
}

/** Images per second at `batchSize`. */
export interface Throughput {
  readonly imagesPerSecond: number;
  readonly batchSize: number;
  /** Median time of one batch, in milliseconds. */
  readonly batchMs: number;
}

/** Times whole batches of seeded random input and reports images per second. */
export function throughput(model: tf.LayersModel, options: ThroughputOptions = {}): Throughput {
  const { batchSize = 256, repeats = 5, warmup = 1 } = options;
  if (!(batchSize >= 1 && repeats >= 1)) {
    throw new Error(
      `throughput: batchSize and repeats must be at least 1 (${batchSize}, ${repeats})`,
    );
  }
  const x = tf.randomUniform([batchSize, ...sampleShape(model)], 0, 1, "float32", 12);
  try {
    for (let i = 0; i < warmup; i++) predictOnce(model, x);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      predictOnce(model, x);
      times.push(performance.now() - t0);
    }
    const batchMs = median(times);
    return { imagesPerSecond: batchSize / (batchMs / 1000), batchSize, batchMs };
  } finally {
    x.dispose();
  }
}
