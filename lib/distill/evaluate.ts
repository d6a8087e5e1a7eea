/** Accuracy, predictions and confusion matrices of a trained model. */
import type * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { predictOutputs, type StoredOutput } from "./outputs.ts";

/** Predicted class of every example (inference mode). */
export function predictClasses(model: tf.LayersModel, data: Dataset, batchSize = 500): Uint8Array {
  return classesOf(predictOutputs(model, data, ["logits"], batchSize).logits!);
}

/** The class with the largest logit in each row (the first one on a tie). */
export function classesOf(logits: StoredOutput): Uint8Array {
  const k = logits.shape[0];
  const { values } = logits;
  const out = new Uint8Array(values.length / k);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (values[i * k + c] > values[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Fraction of `labels` matched by `predicted`. */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) {
    throw new RangeError(`${predicted.length} predictions for ${labels.length} labels`);
  }
  if (labels.length === 0) throw new RangeError("accuracy of an empty set is undefined");
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return hits / labels.length;
}

/** Test accuracy in [0, 1]. */
export function evaluateAccuracy(model: tf.LayersModel, data: Dataset, batchSize = 500): number {
  return accuracyOf(predictClasses(model, data, batchSize), data.y);
}

/** `matrix[true][predicted]` counts. */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}
