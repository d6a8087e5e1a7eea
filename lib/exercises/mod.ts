/**
 * Self-checking exercises, as a notebook cell meets them: `answer` around the learner's code, one
 * check per exercise returning a verdict, and `showResult` to display it (✓, or ✗ with a hint).
 * A wrong answer never throws — a learner function that throws, returns NaN or the wrong shape is
 * a fail with a hint; a misused check (missing sweep data, a dataset of the wrong kind, bad
 * options) throws. Each exercise is one folder, `lib/exercises/<id>/`; the answer key
 * (solutions.ts) is not exported.
 */
export { answer } from "./answer.ts";
export { todo } from "./define.ts";
export { type AnswerTypes, type ExerciseId } from "./exercises.ts";
export { type CheckResult, showResult } from "./result.ts";
export { type FunctionCheckOptions } from "./util.ts";
export { checkSoftTargets, type SoftTargetsFn } from "./01-soft-targets/mod.ts";
export {
  checkTemperatureQuiz,
  type QuizCheckOptions,
  type TemperatureChoice,
} from "./01-temperature-quiz/mod.ts";
export { checkMixedLoss, type MixedLossFn } from "./01-mixed-loss/mod.ts";
export { checkCifarModels, type CifarModels } from "./02-cifar-models/mod.ts";
export { checkCifarTraining, type CifarTrainingBudget } from "./02-cifar-training/mod.ts";
export { type AgreementFn, checkAgreement } from "./03-agreement/mod.ts";
export {
  checkReloadedModel,
  type ReloadCheckOptions,
  type SaveAndReloadFn,
} from "./03-save-reload/mod.ts";
export { checkCosineLoss, type CosineLossFn } from "./04-cosine-loss/mod.ts";
export { checkFeaturePooling, type FeaturePoolFn } from "./04-feature-pooling/mod.ts";
export {
  checkBestSweepCell,
  type SweepCell,
  type SweepChoice,
  type SweepPicker,
} from "./05-best-sweep-cell/mod.ts";
export { checkEnsembleTarget, type EnsembleTargetFn } from "./05-ensemble-target/mod.ts";
export { checkFloat16Size, type Float16SizeFn, type MeasuredSize } from "./06-float16-size/mod.ts";
export {
  checkSmallestClose,
  type ShippedRow,
  type SmallestCloseFn,
} from "./06-smallest-close/mod.ts";
