/**
 * One submitted notebook as the grader runs it: its code cells as one program (the extraction
 * `deno task notebook-code` uses) and the exercises its notebook has, whose verdicts the
 * gradebook expects.
 */
import { basename } from "node:path";
import type { NotebookJson } from "../../lib/exercises/cells.ts";
import { EXERCISE_IDS, type ExerciseId, EXERCISES } from "../../lib/exercises/exercises.ts";
import { notebookCode } from "../lessons/notebook_code.ts";

export interface Submission {
  /** The file name without `.ipynb`: the gradebook's row name. */
  readonly name: string;
  readonly path: string;
  /** The program: the code cells in order, as one module. */
  readonly code: string;
  /** Every exercise of the notebook(s) its exercise cells belong to, in the course's order. */
  readonly exercises: readonly ExerciseId[];
}

function isNotebook(value: unknown): value is NotebookJson {
  const cells = (value as NotebookJson | null)?.cells;
  return Array.isArray(cells) &&
    cells.every((c) =>
      typeof c === "object" && c !== null && typeof c.cell_type === "string" &&
      (typeof c.source === "string" ||
        (Array.isArray(c.source) && c.source.every((s) => typeof s === "string")))
    );
}

/** The exercises a program's cells answer, by the ids of their `answer("<id>", …)` calls. */
export function exercisesOf(code: string): ExerciseId[] {
  const notebooks = new Set<string>();
  for (const [, id] of code.matchAll(/\banswer\(\s*["']([^"']+)["']/g)) {
    if (Object.hasOwn(EXERCISES, id)) notebooks.add(EXERCISES[id as ExerciseId].notebook);
  }
  return EXERCISE_IDS.filter((id) => notebooks.has(EXERCISES[id].notebook));
}

/** Reads a submitted `.ipynb`; throws, naming the file, when it is not a notebook. */
export async function readSubmission(path: string): Promise<Submission> {
  const name = basename(path).replace(/\.ipynb$/i, "");
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path} is not a readable notebook: ${(e as Error).message}`);
  }
  if (!isNotebook(json)) {
    throw new Error(`${path} is not a Jupyter notebook: it has no list of cells with sources`);
  }
  // The cell comments name the file; anything but plain characters is replaced, as the name
  // lands in a comment line of the program.
  const code = notebookCode(json, basename(path).replace(/[^\w.-]/g, "_"));
  return { name, path, code, exercises: exercisesOf(code) };
}
