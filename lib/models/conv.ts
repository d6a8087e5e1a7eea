/**
 * A stride-1 "same" 2-D convolution with bias, as a layer that trains
 * through conv2d and add (engine/ops/conv2d_bias.ts: one native kernel where the
 * native layer runs, the same numbers). tf.layers.conv2d with a linear
 * activation trains through the fused conv op, whose gradient computes the
 * input gradient eagerly — for a model's first convolution that is a full
 * convolution's work per step for a gradient nobody reads (the images).
 * Unfused, the engine skips it. Inference keeps the fused op (one pass).
 * Weights, their order and names are tf.layers.conv2d's.
 */
import * as tf from "@tensorflow/tfjs";
import { type Initializer } from "./init.ts";
import { channelCount, firstInputShape, type LayerVariable } from "./layer_shape.ts";
import { conv2dBias } from "../backend.ts";

export interface SameConv2DArgs {
  filters: number;
  kernelSize: number;
  activation?: "linear" | "relu";
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
  trainable?: boolean;
}

export class SameConv2D extends tf.layers.Layer {
  static readonly className = "SameConv2D";
  readonly filters: number;
  readonly kernelSize: number;
  readonly activation: "linear" | "relu";
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private kernel?: LayerVariable;
  private bias?: LayerVariable;

  constructor(args: SameConv2DArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!Number.isInteger(args.filters) || args.filters < 1) {
      throw new RangeError(`SameConv2D: filters must be a positive integer, got ${args.filters}`);
    }
    if (!Number.isInteger(args.kernelSize) || args.kernelSize < 1 || args.kernelSize % 2 === 0) {
      throw new RangeError(
        `SameConv2D: kernelSize must be a positive odd integer, got ${args.kernelSize}`,
      );
    }
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.activation = args.activation ?? "linear";
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.glorotUniform({});
    this.biasInitializer = args.biasInitializer ?? tf.initializers.zeros();
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = channelCount(inputShape, this.name);
    const k = this.kernelSize;
    this.kernel = this.addWeight(
      "kernel",
      [k, k, channels, this.filters],
      "float32",
      this.kernelInitializer,
    );
    this.bias = this.addWeight("bias", [this.filters], "float32", this.biasInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...firstInputShape(inputShape).slice(0, -1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const filter = this.kernel!.read() as tf.Tensor4D;
      const bias = this.bias!.read();
      if (kwargs.training !== true) {
        return tf.fused.conv2d({
          x,
          filter,
          strides: 1,
          pad: "same",
          bias,
          activation: this.activation,
        });
      }
      const y = conv2dBias(x, filter, bias);
      return this.activation === "relu" ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      activation: this.activation,
    };
  }
}
