/**
 * Checkpoints of a training run: every model's weights (batch-norm statistics included), the
 * optimizer's state (Adam's β powers bit for bit), the epoch, the history and the positions of the
 * stateful layers' random streams (models/stateful_layer.ts). Written atomically
 * (lib/fs/safe_write.ts): a checkpoint directory is complete before the `latest` pointer names it,
 * so a run killed mid-write resumes from the previous checkpoint.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { writeDirAtomic, writeFileAtomic } from "../fs/safe_write.ts";
import { isStatefulLayer, type StatefulLayer } from "../models/stateful_layer.ts";
import { type AdamState, adamState } from "./adam_state.ts";
import type { EpochRecord } from "./history.ts";
import { message } from "../errors.ts";

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
}

interface Manifest {
  version: 1;
  epoch: number;
  history: EpochRecord[];
  /**
   * Each stateful layer's random state by layer name (the key is from when SeededDropout was the
   * only such layer; kept so that older checkpoints still resume).
   */
  dropout: Record<string, number>;
  models: TensorEntry[][];
  optimizer: TensorEntry[];
  /** Adam's running β₁ᵗ and β₂ᵗ, as float32 values (absent for other optimizers). */
  adamPowers?: [number, number];
}

export interface Checkpoint {
  /** Last completed epoch. */
  epoch: number;
  history: EpochRecord[];
}

const LATEST = "latest";

function statefulLayers(models: readonly tf.LayersModel[]): (tf.layers.Layer & StatefulLayer)[] {
  return models.flatMap((m) => m.layers.filter(isStatefulLayer));
}

/**
 * Adam multiplies its β powers into float32 variables step by step, but its
 * `setWeights` recomputes them as pow(β, t + 1), which differs in the last bit
 * from step 8 on; so they are saved as they are and written back after it.
 */
function adamPowers(optimizer: tf.Optimizer): AdamState | undefined {
  // Not instanceof: tfjs's Optimizer answers instanceof by shape, so every optimizer is "an Adam".
  return optimizer.getClassName() === tf.AdamOptimizer.className
    ? adamState(optimizer as tf.AdamOptimizer)
    : undefined;
}

/** Writes checkpoint `epoch` into `dir` and points `latest` at it; older ones are removed. */
export async function saveCheckpoint(
  dir: string,
  models: readonly tf.LayersModel[],
  optimizer: tf.Optimizer,
  state: Checkpoint,
): Promise<void> {
  const name = `epoch-${String(state.epoch).padStart(4, "0")}`;
  const optimizerWeights = await optimizer.getWeights();
  const groups = [
    ...models.map((m) => m.weights.map((w) => ({ name: w.originalName, tensor: w.read() }))),
    optimizerWeights,
  ];
  const entries = groups.map((g) =>
    g.map((t) => ({
      name: t.name,
      shape: t.tensor.shape,
      dtype: t.tensor.dtype as "float32" | "int32",
    }))
  );
  const chunks = groups.flat().map((t) => new Uint8Array(t.tensor.dataSync().buffer.slice(0)));
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  const dropout: Record<string, number> = {};
  for (const layer of statefulLayers(models)) dropout[layer.name] = layer.rngState();
  const manifest: Manifest = {
    version: 1,
    epoch: state.epoch,
    history: state.history,
    dropout,
    models: entries.slice(0, -1),
    optimizer: entries[entries.length - 1],
  };
  const powers = adamPowers(optimizer);
  if (powers) {
    manifest.adamPowers = [powers.accBeta1.dataSync()[0], powers.accBeta2.dataSync()[0]];
  }
  // getWeights makes a fresh tensor for the iteration count; the rest are the optimizer's own.
  tf.dispose(
    optimizerWeights.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor),
  );
  await writeDirAtomic(join(dir, name), async (tmp) => {
    await Deno.writeFile(join(tmp, "tensors.bin"), bytes);
    await Deno.writeTextFile(join(tmp, "manifest.json"), JSON.stringify(manifest));
  });
  const previous = await Deno.readTextFile(join(dir, LATEST)).catch(() => undefined);
  await writeFileAtomic(join(dir, LATEST), name);
  if (previous && previous !== name) {
    await Deno.remove(join(dir, previous), { recursive: true }).catch(() => {});
  }
}

/**
 * Restores the latest complete checkpoint in `dir` into `models` and
 * `optimizer`; undefined when `dir` holds none.
 */
export async function loadCheckpoint(
  dir: string,
  models: readonly tf.LayersModel[],
  optimizer: tf.Optimizer,
): Promise<Checkpoint | undefined> {
  const name = await Deno.readTextFile(join(dir, LATEST)).catch(() => undefined);
  if (!name) return undefined;
  const at = join(dir, name.trim());
  let manifest: Manifest;
  let bytes: Uint8Array;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(at, "manifest.json")));
    bytes = await Deno.readFile(join(at, "tensors.bin"));
  } catch (e) {
    throw new Error(
      `checkpoint ${at} is unreadable (${message(e)}); delete ${dir} to start the run afresh`,
    );
  }
  if (manifest.models.length !== models.length) {
    throw new Error(
      `checkpoint ${at} holds ${manifest.models.length} models, this run trains ${models.length}; ` +
        `use another checkpoint directory or delete ${dir}`,
    );
  }
  let offset = 0;
  const take = (e: TensorEntry): tf.Tensor => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const view = bytes.slice(offset, offset + 4 * n).buffer;
    offset += 4 * n;
    if (view.byteLength !== 4 * n) {
      throw new Error(`checkpoint ${at}: tensors.bin is truncated; delete ${dir} to start afresh`);
    }
    return tf.tensor(
      e.dtype === "int32" ? new Int32Array(view) : new Float32Array(view),
      e.shape,
      e.dtype,
    );
  };
  models.forEach((model, i) => {
    const entries = manifest.models[i];
    if (entries.length !== model.weights.length) {
      throw new Error(
        `checkpoint ${at}: model ${model.name} has ${model.weights.length} weights, the checkpoint ` +
          `${entries.length}; it belongs to another architecture — delete ${dir}`,
      );
    }
    const tensors = entries.map(take);
    model.setWeights(tensors);
    tf.dispose(tensors);
  });
  const optimizerWeights = manifest.optimizer.map((e) => ({ name: e.name, tensor: take(e) }));
  // tfjs's setWeights gives the optimizer new state variables without disposing the old ones
  // (an optimizer that has stepped has some), so those it no longer holds are disposed here.
  const previous = (await optimizer.getWeights()).map((w) => w.tensor);
  await optimizer.setWeights(optimizerWeights);
  const current = (await optimizer.getWeights()).map((w) => w.tensor);
  tf.dispose([
    ...optimizerWeights.map((w) => w.tensor),
    ...previous.filter((t) => !current.includes(t)),
    // getWeights makes a fresh tensor for the iteration count each time.
    ...current.filter((t) => !(t instanceof tf.Variable)),
  ]);
  const powers = adamPowers(optimizer);
  if (powers && manifest.adamPowers) {
    const [beta1, beta2] = manifest.adamPowers;
    tf.tidy(() => {
      powers.accBeta1.assign(tf.scalar(beta1));
      powers.accBeta2.assign(tf.scalar(beta2));
    });
  }
  for (const layer of statefulLayers(models)) {
    const s = manifest.dropout[layer.name];
    if (s !== undefined) layer.restoreRngState(s);
  }
  return { epoch: manifest.epoch, history: manifest.history };
}
