/**
 * Work inside a training step that no gradient flows through, run off the gradient tape. While a
 * tape records, tfjs adds a node per op and keeps a copy (an Identity kernel) of every tensor the
 * op's gradient may read, whether or not the op leads to the loss. Batch norm's moving-average
 * update is such work: in the notebook-01 teacher, 18 small ops and about 50 of a training step's
 * 205 kernel calls. Off the tape the same kernels compute the same numbers; only the bookkeeping
 * goes. Nothing inside `fn` can be differentiated.
 */
import * as tf from "@tensorflow/tfjs";

/** The part of tfjs's engine state that decides whether ops are recorded (`isTapeOn`). */
interface TapeState {
  gradientDepth: number;
}

/** `fn()`, with no op in it recorded on the gradient tape. */
export function withoutTape<T>(fn: () => T): T {
  const state = tf.engine().state as unknown as TapeState;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.gradientDepth = depth;
  }
}
