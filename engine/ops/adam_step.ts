/**
 * One Adam step for one variable as a backend-neutral kernel contract: an
 * engine that registers `KdAdamUpdate` for the active backend runs the whole
 * step in one pass (the wasm engine does); `FusedAdam` uses it where it is
 * registered and tfjs's stock step everywhere else.
 */
import * as tf from "@tensorflow/tfjs";

/** Name of the kernel: inputs `{value, m, v, gradient}`, outputs `[value, m, v]`. */
export const ADAM_UPDATE = "KdAdamUpdate";

/** The step's scalars, each already what the stock chain uses. */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  learningRate: number;
  epsilon: number;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ: the bias corrections of step t. */
  correction1: number;
  correction2: number;
}

/** Whether the active backend has the fused step. */
export function hasFusedAdamStep(): boolean {
  return tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
}

/** The updated `[value, m, v]` of one float32 variable. */
export function adamStep(
  tensors: { value: tf.Tensor; m: tf.Tensor; v: tf.Tensor; gradient: tf.Tensor },
  scalars: AdamScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(
    ADAM_UPDATE,
    tensors,
    scalars as unknown as tf.NamedAttrMap,
  ) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
