/**
 * Adam steps for a model's variables as one backend-neutral kernel call: an
 * engine that registers `KdAdamUpdate` for the active backend runs each
 * variable's step in one pass (the wasm engine does), all of them in one call;
 * `FusedAdam` uses it where it is registered and tfjs's stock step everywhere
 * else.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Name of the kernel: inputs `value0, m0, v0, gradient0, value1, …` (one group of four per
 * variable), outputs `[value0, m0, v0, value1, m1, v1, …]`.
 */
export const ADAM_UPDATE = "KdAdamUpdate";

/** The four input names of variable `i`. */
export const ADAM_INPUTS = ["value", "m", "v", "gradient"] as const;

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

/** One variable's tensors for a step. */
export interface AdamTensors {
  value: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  gradient: tf.Tensor;
}

/** Whether the active backend has the fused step. */
export function hasFusedAdamStep(): boolean {
  return tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
}

/** The updated `[value, m, v]` of each float32 variable, in one kernel call. */
export function adamSteps(
  variables: readonly AdamTensors[],
  scalars: AdamScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor][] {
  if (variables.length === 0) return [];
  const inputs: tf.NamedTensorMap = {};
  variables.forEach((t, i) => {
    for (const name of ADAM_INPUTS) inputs[`${name}${i}`] = t[name];
  });
  const out = tf.engine().runKernel(
    ADAM_UPDATE,
    inputs,
    scalars as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  return variables.map((_, i) => [out[3 * i], out[3 * i + 1], out[3 * i + 2]]);
}
