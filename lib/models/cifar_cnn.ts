/**
 * Notebook 04 (the PyTorch knowledge-distillation tutorial): DeepNN teacher and
 * LightNN student. Both expose three outputs, in this order:
 * `logits`, `hidden` (the flattened convolutional features, channel-first as in
 * PyTorch) and `feature_map` (the last pooled map, NHWC), so cosine and
 * hint-regressor distillation can read them.
 */
import * as tf from "@tensorflow/tfjs";
import { conv, dense, flattenChannelsFirst, maxPool } from "./blocks.ts";
import { SeededDropout } from "./dropout.ts";
import { layerSeeds } from "./init.ts";

export interface CifarCnnOptions {
  /** Model name; distinct names let models nest, e.g. in an ensemble. */
  name?: string;
  classes?: number;
  seed?: number;
  /** Dropout before the last layer (the tutorial uses 0.1). */
  dropout?: number;
}

function classifierHead(
  features: tf.SymbolicTensor,
  ctx: { scheme: "pytorch"; nextSeed: () => number },
  width: number,
  classes: number,
  dropout: number,
  seed: number,
): { hidden: tf.SymbolicTensor; logits: tf.SymbolicTensor } {
  const hidden = flattenChannelsFirst(features, "hidden");
  let x = dense(ctx, hidden, width, "relu");
  x = new SeededDropout({ rate: dropout, seed: seed + 7919 }).apply(x) as tf.SymbolicTensor;
  return { hidden, logits: dense(ctx, x, classes, "linear", "logits") };
}

/**
 * Conv(128)–ReLU–Conv(64)–ReLU–MaxPool–Conv(64)–ReLU–Conv(32)–ReLU–MaxPool;
 * Linear(2048→512)–ReLU–Dropout–Linear(512→10). 1,186,986 parameters.
 */
export function cifarDeepNN(options: CifarCnnOptions = {}): tf.LayersModel {
  const { classes = 10, seed = 42, dropout = 0.1, name } = options;
  const ctx = { scheme: "pytorch" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: [32, 32, 3] });
  let x = conv(ctx, conv(ctx, input, 128, 3, "relu"), 64, 3, "relu");
  x = maxPool(x);
  x = conv(ctx, conv(ctx, x, 64, 3, "relu"), 32, 3, "relu");
  const featureMap = maxPool(x, "feature_map");
  const { hidden, logits } = classifierHead(featureMap, ctx, 512, classes, dropout, seed);
  return tf.model({
    inputs: input,
    outputs: [logits, hidden, featureMap],
    name: name ?? "deep_nn",
  });
}

/**
 * Conv(16)–ReLU–MaxPool–Conv(16)–ReLU–MaxPool; Linear(1024→256)–ReLU–Dropout–
 * Linear(256→10). 267,738 parameters.
 */
export function cifarLightNN(options: CifarCnnOptions = {}): tf.LayersModel {
  const { classes = 10, seed = 42, dropout = 0.1, name } = options;
  const ctx = { scheme: "pytorch" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: [32, 32, 3] });
  const x = maxPool(conv(ctx, input, 16, 3, "relu"));
  const featureMap = maxPool(conv(ctx, x, 16, 3, "relu"), "feature_map");
  const { hidden, logits } = classifierHead(featureMap, ctx, 256, classes, dropout, seed);
  return tf.model({
    inputs: input,
    outputs: [logits, hidden, featureMap],
    name: name ?? "light_nn",
  });
}

/**
 * The FitNets hint regressor: Conv(16→32, 3×3) lifting the student's 8×8×16 map
 * to the teacher's 8×8×32 so the two can be compared with MSE. It trains with
 * the student and is discarded afterwards.
 */
export function hintRegressor(
  options: { inChannels?: number; outChannels?: number; size?: number; seed?: number } = {},
): tf.LayersModel {
  const { inChannels = 16, outChannels = 32, size = 8, seed = 42 } = options;
  const ctx = { scheme: "pytorch" as const, nextSeed: layerSeeds(seed + 1) };
  const input = tf.input({ shape: [size, size, inChannels] });
  return tf.model({
    inputs: input,
    outputs: conv(ctx, input, outChannels, 3),
    name: "hint_regressor",
  });
}
