/** Layer helpers shared by the lesson models: seeded, PyTorch- or Keras-initialised. */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "./batch_norm.ts";
import { SameConv2D } from "./conv.ts";
import { initializers, type InitScheme } from "./init.ts";

/** Names of the outputs a model may expose, in this order. */
export type OutputKind = "logits" | "hidden" | "featureMap";

export interface BlockContext {
  readonly scheme: InitScheme;
  readonly nextSeed: () => number;
}

/**
 * A stride-1 "same" convolution (PyTorch's `padding = k // 2` for odd k). Linear ones
 * (followed by batch norm) use SameConv2D, which skips the unused gradient of a model's
 * input; with ReLU, tfjs already trains unfused and the stock layer does the same.
 */
export function conv(
  ctx: BlockContext,
  x: tf.SymbolicTensor,
  filters: number,
  kernelSize: number,
  activation: "relu" | "linear" = "linear",
): tf.SymbolicTensor {
  const inChannels = x.shape[x.shape.length - 1] as number;
  const init = initializers(ctx.scheme, kernelSize * kernelSize * inChannels, ctx.nextSeed);
  const layer = activation === "linear"
    ? new SameConv2D({ filters, kernelSize, ...init })
    : tf.layers.conv2d({ filters, kernelSize, padding: "same", activation, ...init });
  return layer.apply(x) as tf.SymbolicTensor;
}

export function dense(
  ctx: BlockContext,
  x: tf.SymbolicTensor,
  units: number,
  activation: "relu" | "tanh" | "sigmoid" | "linear" = "linear",
  name?: string,
): tf.SymbolicTensor {
  const fanIn = x.shape[x.shape.length - 1] as number;
  return tf.layers.dense({
    units,
    activation,
    name,
    ...initializers(ctx.scheme, fanIn, ctx.nextSeed),
  }).apply(x) as tf.SymbolicTensor;
}

/** BatchNorm with PyTorch's defaults (momentum 0.1 there is 0.9 here; eps 1e-5). */
export function batchNorm(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return new BatchNorm({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
}

export function relu(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.reLU().apply(x) as tf.SymbolicTensor;
}

export function maxPool(x: tf.SymbolicTensor, name?: string): tf.SymbolicTensor {
  return tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name }).apply(x) as tf.SymbolicTensor;
}

/**
 * Flattens an NHWC map in PyTorch's channel-first order, so flat features
 * (and the cosine loss's pooling over neighbours) mean what they mean there.
 */
export function flattenChannelsFirst(x: tf.SymbolicTensor, name?: string): tf.SymbolicTensor {
  const chw = tf.layers.permute({ dims: [3, 1, 2] }).apply(x) as tf.SymbolicTensor;
  return tf.layers.flatten({ name }).apply(chw) as tf.SymbolicTensor;
}

/** Trainable parameters, counted as PyTorch's `sum(p.numel() for p in parameters())` does. */
export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    0,
  );
}
