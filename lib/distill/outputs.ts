/** A model's named outputs, read by the loss terms. */
import * as tf from "@tensorflow/tfjs";
import { batchIndices, type Dataset, toTensors } from "../data/dataset.ts";
import type { OutputKind } from "../models/blocks.ts";
import { applyTraining } from "../models/train_apply.ts";

export type { OutputKind };

/** What one forward pass gives: always logits, plus features where the model exposes them. */
export interface Outputs {
  logits: tf.Tensor2D;
  /** Flattened convolutional features `[n, d]` (notebook 04's cosine loss). */
  hidden?: tf.Tensor2D;
  /** Last pooled feature map `[n, h, w, c]` (notebook 04's hint regressor). */
  featureMap?: tf.Tensor4D;
}

const KIND_OF_LAYER: Record<string, OutputKind> = {
  logits: "logits",
  hidden: "hidden",
  feature_map: "featureMap",
};

/** The kinds a model exposes, from its output layer names. */
export function outputKinds(model: tf.LayersModel): OutputKind[] {
  return model.outputNames.map((name, i) => {
    const kind = KIND_OF_LAYER[name];
    if (!kind && i === 0) return "logits";
    if (!kind) {
      throw new Error(
        `${model.name}: output "${name}" is not one of logits, hidden, feature_map; ` +
          `name the output layer so distillation knows what it is`,
      );
    }
    return kind;
  });
}

/** Runs the model; `training` switches dropout and batch-norm statistics on. */
export function forward(model: tf.LayersModel, x: tf.Tensor, training: boolean): Outputs {
  const y = training ? applyTraining(model, x) : model.apply(x, { training });
  const list = Array.isArray(y) ? y : [y as tf.Tensor];
  const kinds = outputKinds(model);
  const out: Partial<Record<OutputKind, tf.Tensor>> = {};
  kinds.forEach((k, i) => (out[k] = list[i] as tf.Tensor));
  return out as unknown as Outputs;
}

/** Outputs of every example, kept as flat arrays: row `i` starts at `i · prod(shape)`. */
export interface StoredOutput {
  readonly values: Float32Array;
  /** Shape of one example's output, e.g. `[10]` or `[8, 8, 32]`. */
  readonly shape: readonly number[];
}

/** Inference mode, in batches: the requested outputs for every example of `data`. */
export function predictOutputs(
  model: tf.LayersModel,
  data: Dataset,
  kinds: readonly OutputKind[] = ["logits"],
  batchSize = 500,
): Partial<Record<OutputKind, StoredOutput>> {
  const available = outputKinds(model);
  const result: Partial<Record<OutputKind, StoredOutput>> = {};
  for (const kind of kinds) {
    const index = available.indexOf(kind);
    if (index < 0) throw new Error(`${model.name} has no "${kind}" output (it has ${available})`);
    const shape = model.outputs[index].shape.slice(1) as number[];
    const per = shape.reduce((a, b) => a * b, 1);
    result[kind] = { values: new Float32Array(data.size * per), shape };
  }
  for (const indices of batchIndices(data.size, { batchSize })) {
    tf.tidy(() => {
      const batch = toTensors(data, indices);
      const out = forward(model, batch.x, false);
      for (const kind of kinds) {
        const stored = result[kind]!;
        const per = stored.values.length / data.size;
        stored.values.set(out[kind]!.dataSync() as Float32Array, indices[0] * per);
      }
    });
  }
  return result;
}

/** Rows `indices` of stored outputs as a tensor `[indices.length, ...shape]`. */
export function gatherStored(stored: StoredOutput, indices: ArrayLike<number>): tf.Tensor {
  const per = stored.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    values.set(stored.values.subarray(j * per, (j + 1) * per), i * per);
  }
  return tf.tensor(values, [indices.length, ...stored.shape]);
}
