/**
 * `answer`, which every exercise cell wraps around the learner's code: it returns the learner's
 * value, or the solution when `KD_SOLUTIONS` is on. The answer key (solutions.ts) is imported
 * only then, so a learner's kernel never holds it.
 */
import { type AnswerTypes, checkExerciseId, type ExerciseId } from "./exercises.ts";
import { usingSolutions } from "./solutions_switch.ts";

const key = usingSolutions() ? (await import("./solutions.ts")).SOLUTIONS : undefined;

/**
 * The value a notebook cell grades: the learner's `mine`, or the solution when `KD_SOLUTIONS` is
 * on. Typed per exercise, so `mine` is checked (and a function's parameters are inferred) from
 * the id:
 *
 * ```ts
 * const mySoftTargets = answer("01-soft-targets", (logits, temperature) => { … });
 * ```
 */
export function answer<Id extends ExerciseId>(id: Id, mine: AnswerTypes[Id]): AnswerTypes[Id] {
  checkExerciseId(id);
  if (!usingSolutions()) return mine;
  if (!key) {
    throw new Error(
      "KD_SOLUTIONS was switched on after the library was loaded, so the solutions were not " +
        "loaded: restart the kernel with KD_SOLUTIONS=1 set",
    );
  }
  return key[id]();
}
