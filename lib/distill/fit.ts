/**
 * One training loop for every recipe: plain supervised training is the case
 * with no teacher and a single hard-label term; distillation adds a frozen
 * teacher and its terms. The teacher's outputs are computed once per dataset
 * and reused every epoch (the teacher is frozen and the data not augmented),
 * so a distillation epoch costs about what a plain epoch costs. The step itself, the math of
 * distillation, is `trainStep` (./train_step.ts); this file is the loop around it.
 */
import * as tf from "@tensorflow/tfjs";
import { batchIndices, type Dataset, toTensors } from "../data/dataset.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { evaluateAccuracy } from "./evaluate.ts";
import { FusedAdam } from "./fused_adam.ts";
import {
  forward,
  gatherStored,
  type OutputKind,
  predictOutputs,
  type StoredOutput,
} from "./outputs.ts";
import { hardLabels, type LossTerm } from "./terms.ts";
import { checkTrainable } from "./trainable.ts";
import type { EpochRecord } from "./history.ts";
import { type StepResult, trainStep } from "./train_step.ts";

/** Progress after each batch, for progress bars. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Weighted total loss of this batch. */
  loss: number;
  imagesPerSecond: number;
}

/** Callbacks may be async (a notebook display is); the loop awaits them. */
export interface FitCallbacks {
  onBatchEnd?: (progress: BatchProgress) => void | Promise<void>;
  onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
}

/**
 * What `fit` takes: the `model` to train (a teacher on the labels, or a student), an optional
 * frozen `teacher`, the data, the loss terms and the schedule.
 */
export interface FitOptions {
  /** The model being trained: a teacher on its own, or a student with a teacher. */
  model: tf.LayersModel;
  /** A frozen teacher; required when a term reads teacher outputs (none is trained by them). */
  teacher?: tf.LayersModel;
  train: Dataset;
  test?: Dataset;
  /** Loss terms summed with their weights; default: hard labels only. */
  terms?: readonly LossTerm[];
  /** Default: Adam, learning rate 0.001, ε = 1e-8 (PyTorch's defaults). */
  optimizer?: tf.Optimizer;
  epochs: number;
  batchSize: number;
  /** Seed of the shuffles: epoch e uses `seed + e`. */
  seed?: number;
  /** Shuffle the training set each epoch (default true). */
  shuffle?: boolean;
  /** Evaluate on `test` every this many epochs and after the last (default 1). */
  evaluateEvery?: number;
  /** Reuse teacher outputs computed once (default true). */
  cacheTeacher?: boolean;
  /**
   * Teacher outputs computed in advance for `train` with `predictOutputs`, shared by several
   * runs (a sweep) so the teacher runs once for all of them; instead of `teacher`.
   */
  precomputedTeacherOutputs?: Partial<Record<OutputKind, StoredOutput>>;
  callbacks?: FitCallbacks;
  /**
   * Write a checkpoint to `dir` every `every` epochs (default 1) and after the
   * last; a run started again with the same `dir` resumes after the last
   * complete checkpoint and ends with the same weights as an uninterrupted run.
   */
  checkpoint?: { dir: string; every?: number };
}

export interface FitResult {
  history: EpochRecord[];
  /** Test accuracy after the last epoch (NaN without a test set). */
  finalTestAccuracy: number;
}

/** Adam with PyTorch's defaults (one fused kernel per variable on wasm, same numbers). */
export function defaultOptimizer(learningRate = 0.001): tf.Optimizer {
  return new FusedAdam(learningRate, 0.9, 0.999, 1e-8);
}

function checkOptions(o: FitOptions, terms: readonly LossTerm[]): void {
  if (!(o.model instanceof tf.LayersModel)) {
    throw new TypeError("fit needs `model`, the tf.LayersModel to train");
  }
  for (const [key, value] of [["epochs", o.epochs], ["batchSize", o.batchSize]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${key} must be a positive integer, got ${value}`);
    }
  }
  if (terms.length === 0) throw new RangeError("at least one loss term is needed");
  const names = terms.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) {
    throw new RangeError(`two loss terms are named "${twice}"; the history keeps one per name`);
  }
  const reads = terms.flatMap((t) => t.readsFromTeacher);
  if (reads.length > 0 && !o.teacher && !o.precomputedTeacherOutputs) {
    throw new Error(
      `terms ${terms.filter((t) => t.readsFromTeacher.length).map((t) => t.name)} read teacher ` +
        `outputs, but no teacher was given`,
    );
  }
}

/** How often the loop lets the event loop run, so notebook displays update live. */
const YIELD_EVERY_MS = 200;
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Trains `model` with the summed loss terms and returns the per-epoch history. */
export async function fit(options: FitOptions): Promise<FitResult> {
  const terms = options.terms ?? [hardLabels()];
  checkOptions(options, terms);
  // Before any teacher pass or step: a layer the backend cannot train is named now.
  checkTrainable([options.model, ...terms.flatMap((t) => t.adapters)]);
  const {
    model,
    precomputedTeacherOutputs: given,
    teacher,
    train,
    test,
    epochs,
    batchSize,
    seed = 0,
    shuffle = true,
    evaluateEvery = 1,
    cacheTeacher = true,
    callbacks = {},
  } = options;
  const optimizer = options.optimizer ?? defaultOptimizer();
  const teacherKinds = [...new Set(terms.flatMap((t) => t.readsFromTeacher))] as OutputKind[];
  const missing = teacherKinds.filter((k) => !given?.[k]);
  if (given && missing.length) {
    throw new Error(
      `precomputedTeacherOutputs lacks ${missing.join(", ")}; compute them with predictOutputs`,
    );
  }
  for (const stored of Object.values(given ?? {})) {
    const rows = stored.values.length / stored.shape.reduce((a, b) => a * b, 1);
    if (rows !== train.size) {
      throw new RangeError(
        `precomputedTeacherOutputs hold ${rows} rows but ${train.name} has ${train.size} ` +
          `examples; ` +
          `compute them with predictOutputs(teacher, train)`,
      );
    }
  }
  const cache = given ??
    (teacher && cacheTeacher && teacherKinds.length
      ? predictOutputs(teacher, train, teacherKinds)
      : undefined);
  const trained = [model, ...terms.flatMap((t) => t.adapters)];
  const checkpoint = options.checkpoint;
  const resumed = checkpoint ? await loadCheckpoint(checkpoint.dir, trained, optimizer) : undefined;

  const history: EpochRecord[] = resumed?.history ?? [];
  for (let epoch = (resumed?.epoch ?? 0) + 1; epoch <= epochs; epoch++) {
    const batches = batchIndices(train.size, {
      batchSize,
      shuffleSeed: shuffle ? seed + epoch : undefined,
    });
    const sums = new Float64Array(terms.length + 1);
    let correct = 0;
    let seen = 0;
    const start = performance.now();
    let lastYield = start;
    for (const [b, indices] of batches.entries()) {
      let step!: StepResult;
      tf.tidy(() => {
        const { x, y } = toTensors(train, indices);
        const t: Record<string, tf.Tensor> = {};
        if (cache) {
          for (const k of teacherKinds) t[k] = gatherStored(cache[k]!, indices);
        } else if (teacher && teacherKinds.length) {
          const out = forward(teacher, x, false);
          for (const k of teacherKinds) t[k] = out[k]!;
        }
        step = trainStep(model, terms, { x, y }, t, optimizer);
      });
      terms.forEach((t, i) => (sums[i + 1] += step.parts[t.name]));
      sums[0] += step.loss;
      correct += step.correct;
      seen += indices.length;
      if (!Number.isFinite(step.loss)) {
        const bad = terms.filter((t) => !Number.isFinite(step.parts[t.name])).map((t) => t.name);
        throw new Error(
          `loss became ${step.loss} at epoch ${epoch}, batch ${b + 1} (terms: ${
            bad.join(", ") || "total"
          }); ` +
            `lower the learning rate or check the inputs for NaN`,
        );
      }
      await callbacks.onBatchEnd?.({
        epoch,
        epochs,
        batch: b + 1,
        batches: batches.length,
        loss: step.loss,
        imagesPerSecond: seen / ((performance.now() - start) / 1000),
      });
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await nextTask();
        lastYield = performance.now();
      }
    }
    const seconds = (performance.now() - start) / 1000;
    const parts: Record<string, number> = {};
    terms.forEach((t, i) => (parts[t.name] = sums[i + 1] / batches.length));
    const record: EpochRecord = {
      epoch,
      loss: sums[0] / batches.length,
      parts,
      trainAccuracy: correct / seen,
      seconds,
      imagesPerSecond: seen / seconds,
    };
    if (test && (epoch % evaluateEvery === 0 || epoch === epochs)) {
      record.testAccuracy = evaluateAccuracy(model, test);
    }
    history.push(record);
    if (checkpoint && (epoch % (checkpoint.every ?? 1) === 0 || epoch === epochs)) {
      await saveCheckpoint(checkpoint.dir, trained, optimizer, { epoch, history });
    }
    await callbacks.onEpochEnd?.(record);
  }
  const last = history[history.length - 1];
  return { history, finalTestAccuracy: last.testAccuracy ?? NaN };
}
