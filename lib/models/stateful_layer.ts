/**
 * A layer with random state outside its weights: a seeded stream whose position a checkpoint
 * saves, so that a resumed run draws what an uninterrupted one would have drawn. Checkpoints find
 * such layers by this interface, not by their class.
 */
import type * as tf from "@tensorflow/tfjs";

export interface StatefulLayer {
  /** The stream's position (a JSON number). */
  rngState(): number;
  /** Puts the stream back at a position `rngState` returned. */
  restoreRngState(state: number): void;
}

export function isStatefulLayer(layer: tf.layers.Layer): layer is tf.layers.Layer & StatefulLayer {
  const candidate = layer as tf.layers.Layer & Partial<StatefulLayer>;
  return typeof candidate.rngState === "function" &&
    typeof candidate.restoreRngState === "function";
}
