/**
 * Training-mode `tf.fused.conv2d` with a ReLU, as one native kernel. While a gradient tape records,
 * tfjs does not run its fused kernel for an activation other than linear: it composes conv2d, add
 * and relu (three kernels, two full-size intermediates, and ReLU's gradient reading the stored
 * sum). tf.layers.conv2d with `activation: "relu"` trains that way (the CIFAR-10 models' every
 * convolution). While the native layer is on, such a call with a stride-1 "same" NHWC geometry runs
 * lib/ops/conv2d_bias.ts with `relu` instead: the same numbers bit for bit (its doc says why) in
 * one pass. Every other call goes to tfjs's own function, which is put back when the layer is
 * turned off.
 */
import * as tf from "@tensorflow/tfjs";
import { conv2dBias, conv2dBiasIsOneKernel } from "../../ops/conv2d_bias.ts";

type FusedConv2d = typeof tf.fused.conv2d;
type FusedConv2dArgs = Parameters<FusedConv2d>[0];

/** tfjs's own function while ours stands in for it. */
let stock: FusedConv2d | undefined;

/** A gradient tape is recording: tfjs would compose the three kernels. */
function recording(): boolean {
  return (tf.engine().state as unknown as { activeTape: unknown[] | null }).activeTape !== null;
}

const isOne = (v: number | [number, number] | undefined) =>
  v === undefined || v === 1 || (Array.isArray(v) && v[0] === 1 && v[1] === 1);

/** The call's tensors when it is one that conv2dBias with `relu` computes alike; else undefined. */
function covered(
  a: FusedConv2dArgs,
): { x: tf.Tensor4D; filter: tf.Tensor4D; bias: tf.Tensor1D } | undefined {
  const { x, filter, bias } = a;
  if (
    a.activation !== "relu" || a.preluActivationWeights !== undefined ||
    !(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor) || !(bias instanceof tf.Tensor) ||
    x.rank !== 4 || filter.rank !== 4 || bias.rank !== 1 || bias.shape[0] !== filter.shape[3] ||
    a.pad !== "same" || !isOne(a.strides) || !isOne(a.dilations) ||
    (a.dataFormat !== undefined && a.dataFormat !== "NHWC")
  ) return undefined;
  const tensors = { x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, bias: bias as tf.Tensor1D };
  return conv2dBiasIsOneKernel(tensors.x, tensors.filter, tensors.bias) ? tensors : undefined;
}

function trainingFusedConv2d(a: FusedConv2dArgs): tf.Tensor4D {
  const tensors = recording() ? covered(a) : undefined;
  if (tensors === undefined) return stock!(a) as tf.Tensor4D;
  return conv2dBias(tensors.x, tensors.filter, tensors.bias, { relu: true });
}

/** Routes training-mode ReLU convolutions to conv2dBias; idempotent. */
export function routeFusedConv2d(): void {
  if (stock !== undefined) return;
  stock = tf.fused.conv2d;
  (tf.fused as { conv2d: FusedConv2d }).conv2d = trainingFusedConv2d as FusedConv2d;
}

/** Puts tfjs's own function back; a no-op when it is in place. */
export function restoreFusedConv2d(): void {
  if (stock === undefined) return;
  (tf.fused as { conv2d: FusedConv2d }).conv2d = stock;
  stock = undefined;
}
