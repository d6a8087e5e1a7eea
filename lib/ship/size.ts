/**
 * What a model costs to ship: its parameter count and the bytes its saved directory takes in
 * each weight format (lib/io/quantise.ts), measured by saving it, not estimated.
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { saveModel } from "../io/model_dir.ts";
import { WEIGHT_FORMATS, type WeightFormat } from "../io/quantise.ts";

/** Values in a list of weights. */
function countValues(weights: readonly tf.LayerVariable[]): number {
  return weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** Trainable parameters (what the optimizer updates; batch-norm running statistics excluded). */
export function trainableParams(model: tf.LayersModel): number {
  return countValues(model.trainableWeights);
}

/** Every stored value, trainable or not (what the weights file holds). */
export function storedValues(model: tf.LayersModel): number {
  return countValues(model.weights);
}

/** The bytes of one saved model directory. */
export interface SavedSize {
  readonly format: WeightFormat;
  /** weights.bin. */
  readonly weightsBytes: number;
  /** model.json (topology and manifest): the same in every format, give or take the manifest. */
  readonly jsonBytes: number;
  /** Both: what a browser downloads. */
  readonly totalBytes: number;
}

/** Options for `savedSizes`. */
export interface SavedSizesOptions {
  /** Formats to measure (default all three). */
  formats?: readonly WeightFormat[];
  /**
   * Where to keep the saved directories (`<dir>/<format>`), e.g. for a demo to serve; default a
   * temporary directory, removed afterwards.
   */
  dir?: string;
}

/** Saves `model` in each format and reports the bytes on disk. */
export async function savedSizes(
  model: tf.LayersModel,
  options: SavedSizesOptions = {},
): Promise<SavedSize[]> {
  const { formats = WEIGHT_FORMATS } = options;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "kd-size-" });
  try {
    const sizes: SavedSize[] = [];
    for (const format of formats) {
      const path = join(dir, format);
      await saveModel(model, path, { weights: format });
      const weightsBytes = (await Deno.stat(join(path, "weights.bin"))).size;
      const jsonBytes = (await Deno.stat(join(path, "model.json"))).size;
      sizes.push({ format, weightsBytes, jsonBytes, totalBytes: weightsBytes + jsonBytes });
    }
    return sizes;
  } finally {
    if (!options.dir) await Deno.remove(dir, { recursive: true });
  }
}
