/**
 * The answer key: a correct solution of every exercise, by id. `answer` loads it only when
 * `KD_SOLUTIONS` is on (CI runs the notebooks that way, so every check is exercised with a right
 * answer); the tests import it; lib/mod.ts never exports it.
 */
import { solution as softTargets } from "./01-soft-targets/solution.ts";
import { solution as temperatureQuiz } from "./01-temperature-quiz/solution.ts";
import { solution as mixedLoss } from "./01-mixed-loss/solution.ts";
import { solution as cifarModels } from "./02-cifar-models/solution.ts";
import { solution as cifarTraining } from "./02-cifar-training/solution.ts";
import { solution as agreement } from "./03-agreement/solution.ts";
import { solution as saveReload } from "./03-save-reload/solution.ts";
import { solution as cosineLoss } from "./04-cosine-loss/solution.ts";
import { solution as featurePooling } from "./04-feature-pooling/solution.ts";
import { solution as bestSweepCell } from "./05-best-sweep-cell/solution.ts";
import { solution as ensembleTarget } from "./05-ensemble-target/solution.ts";
import { solution as float16Size } from "./06-float16-size/solution.ts";
import { solution as smallestClose } from "./06-smallest-close/solution.ts";
import { type AnswerTypes, checkExerciseId, type ExerciseId } from "./exercises.ts";

/** A fresh solution per call: models must not be shared between cells. */
export const SOLUTIONS: { readonly [Id in ExerciseId]: () => AnswerTypes[Id] } = {
  "01-soft-targets": softTargets,
  "01-temperature-quiz": temperatureQuiz,
  "01-mixed-loss": mixedLoss,
  "02-cifar-models": cifarModels,
  "02-cifar-training": cifarTraining,
  "03-agreement": agreement,
  "03-save-reload": saveReload,
  "04-cosine-loss": cosineLoss,
  "04-feature-pooling": featurePooling,
  "05-best-sweep-cell": bestSweepCell,
  "05-ensemble-target": ensembleTarget,
  "06-float16-size": float16Size,
  "06-smallest-close": smallestClose,
};

/** A fresh copy of exercise `id`'s solution. */
export function solution<Id extends ExerciseId>(id: Id): AnswerTypes[Id] {
  checkExerciseId(id);
  return SOLUTIONS[id]();
}
