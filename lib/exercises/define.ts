/**
 * What one exercise module declares (lib/exercises/<id>/mod.ts), and `todo`, the placeholder its
 * skeleton cell returns until the learner writes the code.
 */

/** An exercise cell as the notebook holds it. */
export interface SkeletonCell {
  /** Names the cell uses from `../lib/mod.ts` (the notebook's import cell must import them). */
  readonly imports: readonly string[];
  /** Notebook variables the cell reads, defined by earlier cells. */
  readonly needs: readonly string[];
  /** The cell's source; a test compares it with the notebook's cell. */
  readonly source: string;
}

/** Type only: carries an exercise's answer type; no definition has a value under it. */
declare const answerType: unique symbol;

/**
 * One exercise: where it is, what grades it, and its skeleton cell, the one text of the skeleton
 * (skeleton.ts evaluates the cell's answer for the tests).
 */
export interface ExerciseDefinition<Id extends string, Answer> {
  readonly id: Id;
  /** Notebook number, "01" … "05". */
  readonly notebook: string;
  readonly title: string;
  /** The name of the check function that grades it (the cell calls it). */
  readonly check: string;
  readonly cell: SkeletonCell;
  /** The learner's answer type, for `answer` and the checks' signatures (never set). */
  readonly [answerType]?: Answer;
}

/** The answer type an exercise definition declares. */
export type AnswerOf<D> = D extends ExerciseDefinition<string, infer Answer> ? Answer : never;

const TITLES = new Map<string, string>();

/**
 * Declares an exercise (each exercise module's `exercise`). It also records the title, which a
 * check's verdict shows: result.ts reads it from here rather than from the registry
 * (exercises.ts), which imports every exercise module and so would make an import cycle.
 */
export function defineExercise<Id extends string, Answer>(
  definition: ExerciseDefinition<Id, Answer>,
): ExerciseDefinition<Id, Answer> {
  TITLES.set(definition.id, definition.title);
  return definition;
}

/** The title of a declared exercise. */
export function exerciseTitle(id: string): string {
  const title = TITLES.get(id);
  if (title === undefined) throw new RangeError(`exercise ${id} was never declared`);
  return title;
}

/**
 * The placeholder of an unfinished answer: returns `placeholder` and ignores the other arguments.
 * Passing a skeleton's parameters through it keeps `deno lint` quiet about unused parameters
 * until the learner writes the code.
 */
export function todo<T>(placeholder: T, ..._unused: unknown[]): T {
  return placeholder;
}
