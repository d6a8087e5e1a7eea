/**
 * Every exercise, by id: the registry built from the exercise modules (one folder per exercise,
 * `lib/exercises/<id>/`). Its `AnswerTypes` map drives both the checks' signatures and `answer`,
 * so a notebook cell that passes the wrong kind of answer fails to type-check.
 */
import type { AnswerOf } from "./define.ts";
import { EXERCISE_IDS, type ExerciseId } from "./ids.ts";
import { exercise as softTargets } from "./01-soft-targets/mod.ts";
import { exercise as temperatureQuiz } from "./01-temperature-quiz/mod.ts";
import { exercise as mixedLoss } from "./01-mixed-loss/mod.ts";
import { exercise as cifarModels } from "./02-cifar-models/mod.ts";
import { exercise as cifarTraining } from "./02-cifar-training/mod.ts";
import { exercise as agreement } from "./03-agreement/mod.ts";
import { exercise as saveReload } from "./03-save-reload/mod.ts";
import { exercise as cosineLoss } from "./04-cosine-loss/mod.ts";
import { exercise as featurePooling } from "./04-feature-pooling/mod.ts";
import { exercise as bestSweepCell } from "./05-best-sweep-cell/mod.ts";
import { exercise as ensembleTarget } from "./05-ensemble-target/mod.ts";
import { exercise as float16Size } from "./06-float16-size/mod.ts";
import { exercise as smallestClose } from "./06-smallest-close/mod.ts";

const DEFINITIONS = [
  softTargets,
  temperatureQuiz,
  mixedLoss,
  cifarModels,
  cifarTraining,
  agreement,
  saveReload,
  cosineLoss,
  featurePooling,
  bestSweepCell,
  ensembleTarget,
  float16Size,
  smallestClose,
] as const satisfies readonly { id: ExerciseId }[];

type Definition = typeof DEFINITIONS[number];

// Every id has its module (the reverse is the `satisfies` above).
const everyIdDefined: ExerciseId extends Definition["id"] ? true : never = true;
void everyIdDefined;

export type { ExerciseId };

/** The learner's answer type of each exercise, by id. */
export type AnswerTypes = { [D in Definition as D["id"]]: AnswerOf<D> };

/** Each exercise's definition (its notebook, title, skeleton cell and check's name), by id. */
export const EXERCISES = Object.fromEntries(DEFINITIONS.map((d) => [d.id, d])) as {
  readonly [D in Definition as D["id"]]: D;
};

export { EXERCISE_IDS };

/** Throws on an id that is not an exercise (a typo in a notebook cell). */
export function checkExerciseId(id: string): asserts id is ExerciseId {
  if (!Object.hasOwn(EXERCISES, id)) {
    throw new RangeError(`"${id}" is not an exercise id; the ids are: ${EXERCISE_IDS.join(", ")}`);
  }
}
