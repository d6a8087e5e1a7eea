/**
 * How far notebook 01's single teacher run is from the recipe's typical result: the recipe trained
 * from several seeds, by us (scripts/teachers/teacher_seeds.ts) and by PyTorch on the lesson's code path
 * (bench/lesson_a_reference.py). Both write their side of one committed file,
 * bench/lesson_a_seeds.json, so the notebook can show figures a run produced instead of prose
 * that quotes them.
 */
import { repositoryPath } from "../fs/repository.ts";
import { writeFileAtomic } from "../fs/safe_write.ts";
import { message } from "../errors.ts";

/** Where the two scripts write and the notebook reads, relative to the repository. */
export const SEED_SPREAD_PATH = "bench/lesson_a_seeds.json";
/** The same file's absolute path in this checkout. */
export const SEED_SPREAD_FILE = repositoryPath(...SEED_SPREAD_PATH.split("/"));

/** One seed of our teacher: accuracies are fractions (0.9895), one per epoch. */
export interface OurSeedRun {
  seed: number;
  test: number[];
  train: number[];
  minutes: number;
}

/** One seed of PyTorch's recipe: the teacher and both students, test accuracy as fractions. */
export interface PytorchSeedRun {
  seed: number;
  teacher: number;
  studentWithTeacher: number;
  studentAlone: number;
  minutes: number;
}

/** One side of the file: when and on what it ran, and its runs. */
export interface SeedSide<Run> {
  date: string;
  /** The engine (ours) or "torch 1.13, 2 threads" (PyTorch). */
  engine: string;
  runs: Run[];
}

/** The file: either side is absent until its script has run. */
export interface SeedSpread {
  ours?: SeedSide<OurSeedRun>;
  pytorch?: SeedSide<PytorchSeedRun>;
}

function fail(path: string, what: string): never {
  throw new Error(
    `${path}: ${what}; rerun scripts/teachers/teacher_seeds.ts or bench/lesson_a_reference.py to rewrite it`,
  );
}

function checkSide(path: string, name: string, side: unknown, fields: string[]): void {
  const s = side as Record<string, unknown>;
  if (typeof s?.date !== "string" || typeof s.engine !== "string" || !Array.isArray(s.runs)) {
    fail(path, `"${name}" needs a date, an engine and a list of runs`);
  }
  for (const [i, run] of (s.runs as Record<string, unknown>[]).entries()) {
    const missing = fields.filter((f) => run?.[f] === undefined);
    if (missing.length) fail(path, `"${name}" run ${i} lacks ${missing.join(", ")}`);
  }
}

/**
 * The recorded seed runs, `{}` when neither script has written the file yet. A file that is not
 * this shape is an error naming the file and the scripts that rewrite it.
 */
export async function readSeedSpread(path = SEED_SPREAD_FILE): Promise<SeedSpread> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
  let data: SeedSpread;
  try {
    data = JSON.parse(text);
  } catch (e) {
    fail(path, `not JSON (${message(e)})`);
  }
  if (data.ours) checkSide(path, "ours", data.ours, ["seed", "test", "train", "minutes"]);
  if (data.pytorch) {
    const fields = ["seed", "teacher", "studentWithTeacher", "studentAlone", "minutes"];
    checkSide(path, "pytorch", data.pytorch, fields);
  }
  return data;
}

/** Replaces our side of the file, keeping PyTorch's (scripts/teachers/teacher_seeds.ts). */
export async function recordOurSeeds(
  side: SeedSide<OurSeedRun>,
  path = SEED_SPREAD_FILE,
): Promise<void> {
  const current = await readSeedSpread(path);
  await writeFileAtomic(path, JSON.stringify({ ...current, ours: side }, null, 2) + "\n");
}
