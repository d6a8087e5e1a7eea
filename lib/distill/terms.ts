/**
 * Loss terms: small typed objects the training loop sums, each with a weight,
 * saying which teacher outputs it reads. One loop serves every lesson's recipe
 * by composing these (the shape of Keras' `Distiller(distillation_losses, weights)`).
 */
import * as tf from "@tensorflow/tfjs";
import {
  averagePool1d,
  cosineEmbedding,
  crossEntropy,
  klDistillation,
  meanSquaredError,
  softCrossEntropy,
  softTargets,
} from "./losses.ts";
import type { OutputKind, Outputs } from "./outputs.ts";

export interface LossTerm {
  /** Short label shown in histories and charts, e.g. "ce", "kd". */
  readonly name: string;
  readonly weight: number;
  /**
   * Which teacher outputs this term reads (fit computes those); empty for a term of the labels
   * alone.
   */
  readonly readsFromTeacher: readonly OutputKind[];
  /** Models trained along with the student for this term (a hint regressor), then discarded. */
  readonly adapters: readonly tf.LayersModel[];
  /** The unweighted loss of one batch. */
  compute(student: Outputs, teacher: Partial<Outputs>, labels: tf.Tensor1D): tf.Scalar;
}

function checkWeight(weight: number): number {
  if (!(weight >= 0) || !Number.isFinite(weight)) {
    throw new RangeError(`a loss term's weight must be a finite number ≥ 0, got ${weight}`);
  }
  return weight;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new Error(`${what} is missing: the model does not expose it (see lib/models)`);
  }
  return value;
}

function term(
  name: string,
  weight: number,
  readsFromTeacher: OutputKind[],
  compute: LossTerm["compute"],
  adapters: readonly tf.LayersModel[] = [],
): LossTerm {
  return { name, weight: checkWeight(weight), readsFromTeacher, adapters, compute };
}

/** Cross-entropy with the true labels: plain supervised training. */
export function hardLabels(weight = 1): LossTerm {
  return term("ce", weight, [], (s, _t, y) => crossEntropy(s.logits, y));
}

/** Hinton's T²·KL between softened teacher and student distributions (notebook 04's KD run). */
export function klDivergence(options: { temperature: number; weight?: number }): LossTerm {
  const { temperature, weight = 1 } = options;
  return term(
    "kd",
    weight,
    ["logits"],
    (s, t) => klDistillation(s.logits, need(t.logits, "teacher logits"), temperature),
  );
}

/**
 * Notebook 01's soft-target term: MSE between the student's raw logits and the
 * teacher's softmax(t/T). It compares logits with probabilities — the source's
 * recipe, kept on purpose and discussed in notebook 01.
 */
export function logitsToSoftTargetsMse(
  options: { temperature: number; weight?: number },
): LossTerm {
  const { temperature, weight = 1 } = options;
  return term(
    "soft-mse",
    weight,
    ["logits"],
    (s, t) =>
      tf.tidy(() =>
        meanSquaredError(s.logits, softTargets(need(t.logits, "teacher logits"), temperature))
      ),
  );
}

/** Notebook 03: MSE between the student's outputs and the teacher's log-softmax outputs. */
export function teacherLogSoftmaxMse(options: { weight?: number } = {}): LossTerm {
  const { weight = 1 } = options;
  return term(
    "logsoftmax-mse",
    weight,
    ["logits"],
    (s, t) =>
      tf.tidy(() => meanSquaredError(s.logits, tf.logSoftmax(need(t.logits, "teacher logits")))),
  );
}

/**
 * Notebook 05: cross-entropy against the teacher's softened probabilities. With
 * `scaleByTSquared` the term is multiplied by T² as Hinton recommends, so the
 * soft and hard terms stay balanced as T grows.
 */
export function softTargetCrossEntropy(
  options: { temperature?: number; weight?: number; scaleByTSquared?: boolean } = {},
): LossTerm {
  const { temperature = 1, weight = 1, scaleByTSquared = false } = options;
  const scale = scaleByTSquared ? temperature * temperature : 1;
  return term(
    "soft-ce",
    weight,
    ["logits"],
    (s, t) =>
      tf.tidy(() =>
        tf.mul(softCrossEntropy(s.logits, need(t.logits, "teacher logits"), temperature), scale)
      ),
  );
}

/**
 * Notebook 04's cosine run: 1 − cos between the student's hidden vector and the
 * teacher's, average-pooled by `pool` so the sizes match (2048 → 1024).
 */
export function cosineHidden(options: { weight?: number; pool?: number } = {}): LossTerm {
  const { weight = 1, pool = 2 } = options;
  return term("cosine", weight, ["hidden"], (s, t) =>
    tf.tidy(() =>
      cosineEmbedding(
        need(s.hidden, "student hidden features"),
        averagePool1d(need(t.hidden, "teacher hidden features"), pool),
      )
    ));
}

/**
 * FitNets' hint: MSE between the regressor's lift of the student's feature map
 * and the teacher's feature map. The regressor trains with the student.
 */
export function hintRegression(
  options: { regressor: tf.LayersModel; weight?: number },
): LossTerm {
  const { regressor, weight = 1 } = options;
  return term("hint", weight, ["featureMap"], (s, t) =>
    tf.tidy(() => {
      const lifted = regressor.apply(need(s.featureMap, "student feature map")) as tf.Tensor;
      return meanSquaredError(lifted, need(t.featureMap, "teacher feature map"));
    }), [regressor]);
}
