/**
 * The exercise ids, in lesson order. Checks name their exercise by id, and the exercise modules
 * import the checks, so the ids live here rather than in the registry built from those modules
 * (exercises.ts, which checks that each module's id is one of these).
 */
export const EXERCISE_IDS = [
  "01-soft-targets",
  "01-temperature-quiz",
  "01-mixed-loss",
  "02-cifar-models",
  "02-cifar-training",
  "03-agreement",
  "03-save-reload",
  "04-cosine-loss",
  "04-feature-pooling",
  "05-best-sweep-cell",
  "05-ensemble-target",
  "06-float16-size",
  "06-smallest-close",
] as const;

export type ExerciseId = typeof EXERCISE_IDS[number];
