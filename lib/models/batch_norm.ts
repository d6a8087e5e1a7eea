/**
 * Batch normalisation over the last (channel) axis with PyTorch's defaults,
 * as a layer. In training it runs the batch-norm op of engine/ops (fused kernels
 * where the engine has them, tfjs's moments + batchNorm elsewhere); at
 * inference it uses the moving statistics. Weights,
 * their order and names, and the moving-average update are those of
 * tf.layers.batchNormalization.
 */
import * as tf from "@tensorflow/tfjs";
import { type Initializer } from "./init.ts";
import { channelCount, type LayerVariable } from "./layer_shape.ts";
import { batchNormTrain, movingAverages, withoutTape } from "../backend.ts";

export interface BatchNormArgs {
  /** Weight of the old moving statistics per step: PyTorch's momentum 0.1 is 0.9 here. */
  momentum?: number;
  /** Added to the variance before the square root (PyTorch: 1e-5). */
  epsilon?: number;
  name?: string;
}

export class BatchNorm extends tf.layers.Layer {
  static readonly className = "BatchNorm";
  readonly momentum: number;
  readonly epsilon: number;
  private gamma?: LayerVariable;
  private beta?: LayerVariable;
  private movingMean?: LayerVariable;
  private movingVariance?: LayerVariable;

  constructor(args: BatchNormArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = channelCount(inputShape, this.name);
    const c = [channels];
    this.gamma = this.addWeight("gamma", c, "float32", tf.initializers.ones());
    this.beta = this.addWeight("beta", c, "float32", tf.initializers.zeros());
    // Not trainable: only the moving-average update below writes them.
    const stat = (name: string, init: Initializer) =>
      this.addWeight(name, c, "float32", init, undefined, false);
    this.movingMean = stat("moving_mean", tf.initializers.zeros());
    this.movingVariance = stat("moving_variance", tf.initializers.ones());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.#normalise(x, kwargs.training === true, false);
  }

  /**
   * This layer and a ReLU after it, as one op: what `applyTraining` (train_apply.ts) runs where a
   * plain ReLU layer is the only reader of this layer's output. The same numbers as the two
   * layers one after the other.
   */
  applyWithRelu(x: tf.Tensor, training: boolean): tf.Tensor {
    return this.#normalise(x, training, true);
  }

  #normalise(x: tf.Tensor, training: boolean, relu: boolean): tf.Tensor {
    return tf.tidy(() => {
      const gamma = this.gamma!.read();
      const beta = this.beta!.read();
      if (!training) {
        const y = tf.batchNorm(
          x,
          this.movingMean!.read(),
          this.movingVariance!.read(),
          beta,
          gamma,
          this.epsilon,
        );
        return relu ? tf.relu(y) : y;
      }
      const [y, mean, variance] = batchNormTrain(
        x,
        gamma as tf.Tensor1D,
        beta as tf.Tensor1D,
        this.epsilon,
        { relu },
      );
      // tfjs-layers' update: moving ← moving − (moving − batch)·(1 − momentum). No gradient
      // flows through the moving averages: off the tape, they cost only their kernel, not a
      // saved copy of each input.
      withoutTape(() => {
        const [movingMean, movingVariance] = movingAverages([
          { moving: this.movingMean!.read(), batch: mean },
          { moving: this.movingVariance!.read(), batch: variance },
        ], this.momentum);
        this.movingMean!.write(movingMean);
        this.movingVariance!.write(movingVariance);
      });
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
