/**
 * The exercises, their ids and the type of each learner answer. One map
 * (`AnswerTypes`) drives both the check signatures and `answer`, so a notebook
 * cell that passes the wrong kind of answer fails to type-check.
 */
import type * as tf from "@tensorflow/tfjs";

/** 01: softmax(logits / T) row by row, on plain numbers. */
export type SoftTargetsFn = (logits: number[][], temperature: number) => number[][];

/** 01: the classroom quiz, "does a higher temperature make the distribution flatter?" */
export type TemperatureChoice = "flatter" | "sharper" | "unchanged";

/**
 * 01: the lesson's loss `α · CE(student, labels) + (1 − α) · MSE(student logits,
 * softmax(teacher / T))`, on tensors (so the library's loss helpers can be used),
 * returning a scalar tensor or a number.
 */
export type MixedLossFn = (
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  alpha: number,
  temperature: number,
) => tf.Scalar | number;

/** 02: lesson A's teacher and student rebuilt for 32×32×3 CIFAR-10 images. */
export interface CifarModels {
  teacher: tf.LayersModel;
  student: tf.LayersModel;
}

/** 03: the fraction in [0, 1] of examples on which the two predicted classes agree. */
export type AgreementFn = (
  teacherPred: ArrayLike<number>,
  studentPred: ArrayLike<number>,
) => number;

/** 03: saves `model` to `dir` and returns the model loaded back from there. */
export type SaveAndReloadFn = (
  model: tf.LayersModel,
  dir: string,
) => Promise<tf.LayersModel> | tf.LayersModel;

/** 04: PyTorch's `CosineEmbeddingLoss` with target 1: mean over rows of 1 − cos(a, b). */
export type CosineLossFn = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar | number;

/** 04: the teacher's `[n, 2048]` features pooled to the student's `[n, 1024]`. */
export type FeaturePoolFn = (teacherFeatures: tf.Tensor2D) => tf.Tensor2D;

/** 05: one cell of the temperature × λ grid. */
export interface SweepChoice {
  temperature: number;
  lambda: number;
}

/** 05: a sweep result as the notebook records it; accuracy as a fraction (or a percentage). */
export interface SweepCell extends SweepChoice {
  accuracy: number;
}

/** 05: picks the best cell from the sweep results. */
export type SweepPicker = (cells: readonly SweepCell[]) => SweepChoice;

/** 05: a two-teacher ensemble's target: the two teachers' probabilities averaged. */
export type EnsembleTargetFn = (probsA: number[][], probsB: number[][]) => number[][];

/** The learner's answer type of each exercise, by id. */
export interface AnswerTypes {
  "01-soft-targets": SoftTargetsFn;
  /** `undefined` until the learner chooses (the skeleton's value). */
  "01-temperature-quiz": TemperatureChoice | undefined;
  "01-mixed-loss": MixedLossFn;
  "02-cifar-models": CifarModels;
  "02-cifar-training": tf.LayersModel;
  "03-agreement": AgreementFn;
  "03-save-reload": SaveAndReloadFn;
  "04-cosine-loss": CosineLossFn;
  "04-feature-pooling": FeaturePoolFn;
  "05-best-sweep-cell": SweepPicker;
  "05-ensemble-target": EnsembleTargetFn;
}

export type ExerciseId = keyof AnswerTypes;

export interface ExerciseInfo {
  /** Notebook number, "01" … "05". */
  readonly notebook: string;
  readonly title: string;
  /** The check function that grades it. */
  readonly check: string;
}

export const EXERCISES: Readonly<Record<ExerciseId, ExerciseInfo>> = {
  "01-soft-targets": {
    notebook: "01",
    title: "Soft targets with temperature",
    check: "checkSoftTargets",
  },
  "01-temperature-quiz": {
    notebook: "01",
    title: "Quiz: what does a higher temperature do?",
    check: "checkTemperatureQuiz",
  },
  "01-mixed-loss": { notebook: "01", title: "The lesson's mixed loss", check: "checkMixedLoss" },
  "02-cifar-models": {
    notebook: "02",
    title: "Teacher and student for 32×32×3 images",
    check: "checkCifarModels",
  },
  "02-cifar-training": {
    notebook: "02",
    title: "A short training run on CIFAR-10",
    check: "checkCifarTraining",
  },
  "03-agreement": {
    notebook: "03",
    title: "Student–teacher agreement",
    check: "checkAgreement",
  },
  "03-save-reload": {
    notebook: "03",
    title: "Save and reload a model",
    check: "checkReloadedModel",
  },
  "04-cosine-loss": {
    notebook: "04",
    title: "The cosine-embedding loss",
    check: "checkCosineLoss",
  },
  "04-feature-pooling": {
    notebook: "04",
    title: "Pooling 2048 teacher features to 1024",
    check: "checkFeaturePooling",
  },
  "05-best-sweep-cell": {
    notebook: "05",
    title: "The best (T, λ) of the sweep",
    check: "checkBestSweepCell",
  },
  "05-ensemble-target": {
    notebook: "05",
    title: "A two-teacher ensemble target",
    check: "checkEnsembleTarget",
  },
};

export const EXERCISE_IDS = Object.keys(EXERCISES) as ExerciseId[];

/** Throws on an id that is not an exercise (a typo in a notebook cell). */
export function checkExerciseId(id: string): asserts id is ExerciseId {
  if (!Object.hasOwn(EXERCISES, id)) {
    throw new RangeError(`"${id}" is not an exercise id; the ids are: ${EXERCISE_IDS.join(", ")}`);
  }
}
