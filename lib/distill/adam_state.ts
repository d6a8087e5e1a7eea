/**
 * The fields of tfjs's AdamOptimizer that its typings keep private, declared once for the two
 * places that need them: the fused step (fused_adam.ts) reads and updates them, checkpoints
 * (checkpoint.ts) save and restore the β powers bit for bit.
 */
import type * as tf from "@tensorflow/tfjs";

/** One moment variable, as Adam keeps it beside the variable it belongs to. */
export interface AdamMoment {
  originalName: string;
  variable: tf.Variable;
}

export interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The running powers β₁ᵗ and β₂ᵗ. */
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: AdamMoment[];
  accumulatedSecondMoment: AdamMoment[];
}

/** `optimizer`'s private state (tfjs 4.22's field names). */
export function adamState(optimizer: tf.AdamOptimizer): AdamState {
  return optimizer as unknown as AdamState;
}
