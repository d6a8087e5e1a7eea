/**
 * Moving averages of batch statistics as one backend-neutral kernel call: each pair becomes
 * moving − (moving − batch)·(1 − momentum), tfjs-layers' update, with every operation rounded to
 * float32 in that order. An engine that registers `KdMovingAverage` for the active backend
 * updates all the pairs in one call (the wasm engine does); elsewhere tfjs's sub, mul and sub
 * run, three kernels per pair. Both give the same numbers. No gradient: run it off the tape.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Name of the kernel: inputs `moving0, batch0, moving1, batch1, …` (one pair of one shape per
 * statistic), attribute `momentum`; outputs the updated moving values in order.
 */
export const MOVING_AVERAGE = "KdMovingAverage";

export interface MovingAverageAttrs {
  /** Weight of the old moving value per step: tfjs-layers' momentum (PyTorch's 0.1 is 0.9). */
  momentum: number;
}

/** Each pair's moving − (moving − batch)·(1 − momentum), in one kernel where the engine has it. */
export function movingAverages(
  pairs: readonly { moving: tf.Tensor; batch: tf.Tensor }[],
  momentum: number,
): tf.Tensor[] {
  if (pairs.length === 0) return [];
  const float32 = pairs.every((p) => p.moving.dtype === "float32" && p.batch.dtype === "float32");
  if (float32 && tf.getKernel(MOVING_AVERAGE, tf.getBackend()) !== undefined) {
    const inputs: tf.NamedTensorMap = {};
    pairs.forEach((p, i) => {
      inputs[`moving${i}`] = p.moving;
      inputs[`batch${i}`] = p.batch;
    });
    const attrs: MovingAverageAttrs = { momentum };
    const out = tf.engine().runKernel(
      MOVING_AVERAGE,
      inputs,
      attrs as unknown as tf.NamedAttrMap,
    );
    return Array.isArray(out) ? out as tf.Tensor[] : [out as tf.Tensor];
  }
  return pairs.map(({ moving, batch }) =>
    tf.tidy(() => tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - momentum)))
  );
}
