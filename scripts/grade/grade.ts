/**
 * Grading a folder of submitted notebooks: each one runs in the sandbox (sandbox.ts), one after
 * another, and becomes a gradebook row — its status and, per exercise, the verdict its check
 * sent over the channel. A submission that cannot be read, crashes, hangs or misbehaves gets its
 * row and the grading goes on.
 */
import { basename, join } from "node:path";
import { defaultCacheDir, ensureCifar10 } from "../../lib/data/cifar10.ts";
import { EXERCISE_IDS, type ExerciseId, EXERCISES } from "../../lib/exercises/exercises.ts";
import type { SentVerdict } from "../../lib/exercises/verdict_channel.ts";
import type { ProfileName } from "../../lib/notebook/profile.ts";
import { readSetting } from "../../lib/settings.ts";
import { makeMemoryCage, type MemoryCageKind } from "./memory_limit.ts";
import type { Status } from "./outcome.ts";
import { runInSandbox, type SandboxLimits } from "./sandbox.ts";
import { readSubmission, type Submission } from "./submission.ts";

/** One row of the gradebook. */
export interface GradedSubmission {
  readonly name: string;
  /** The exercises expected of it (its notebook's) and any other it reported, course order. */
  readonly exercises: readonly ExerciseId[];
  readonly status: Status;
  /** The verdicts its checks sent, by exercise. */
  readonly verdicts: ReadonlyMap<ExerciseId, SentVerdict>;
  /** Channel lines that were not verdicts of a known exercise (0 unless something wrote junk). */
  readonly rejectedLines: number;
  readonly seconds: number;
  readonly peakMiB?: number;
  /** The ends of its stdout and stderr. */
  readonly stdout: string;
  readonly stderr: string;
}

export interface Gradebook {
  readonly folder: string;
  readonly rows: readonly GradedSubmission[];
  /** The exercise columns: every exercise some row expects or reported, course order. */
  readonly exercises: readonly ExerciseId[];
  readonly profile: ProfileName;
  readonly limits: SandboxLimits;
  readonly cage: MemoryCageKind;
  readonly seconds: number;
}

/** What the terminal shows: a run starting, a run graded. */
export type GradeProgress =
  | {
    readonly kind: "start";
    readonly index: number;
    readonly total: number;
    readonly name: string;
  }
  | {
    readonly kind: "done";
    readonly index: number;
    readonly total: number;
    readonly row: GradedSubmission;
    /** Seconds left at the mean time per submission so far. */
    readonly etaSeconds: number;
  }
  | { readonly kind: "note"; readonly text: string };

export interface GradeOptions {
  /** Default `quick`: the checks test the learner's code, not trained accuracies. */
  readonly profile?: ProfileName;
  /** Default: 600 s, 1 GiB files, 4096 MiB of memory; the best memory cage available. */
  readonly limits?: Partial<SandboxLimits>;
  readonly onProgress?: (event: GradeProgress) => void;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutSeconds: 600,
  memoryMiB: 4096,
  fileSizeMiB: 1024,
  cage: "auto",
};

const repo = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The `.ipynb` files directly in `folder`, by name. */
async function submissionFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(folder)) {
      if (e.isFile && e.name.toLowerCase().endsWith(".ipynb")) files.push(join(folder, e.name));
    }
  } catch (e) {
    throw new Error(`cannot read the submissions folder ${folder}: ${(e as Error).message}`);
  }
  if (!files.length) throw new Error(`${folder} holds no .ipynb file to grade`);
  return files.sort();
}

function byCourseOrder(ids: Iterable<ExerciseId>): ExerciseId[] {
  const set = new Set(ids);
  return EXERCISE_IDS.filter((id) => set.has(id));
}

function gradedRow(
  name: string,
  expected: readonly ExerciseId[],
  run: {
    status: Status;
    verdicts?: ReadonlyMap<string, SentVerdict>;
    rejectedLines?: number;
    seconds: number;
    peakMiB?: number;
    stdout?: string;
    stderr?: string;
  },
): GradedSubmission {
  const verdicts = new Map<ExerciseId, SentVerdict>();
  let rejected = run.rejectedLines ?? 0;
  for (const [id, v] of run.verdicts ?? []) {
    if (Object.hasOwn(EXERCISES, id)) verdicts.set(id as ExerciseId, v);
    else rejected++;
  }
  return {
    name,
    exercises: byCourseOrder([...expected, ...verdicts.keys()]),
    status: run.status,
    verdicts,
    rejectedLines: rejected,
    seconds: run.seconds,
    ...(run.peakMiB === undefined ? {} : { peakMiB: run.peakMiB }),
    stdout: run.stdout ?? "",
    stderr: run.stderr ?? "",
  };
}

/**
 * The sandbox has no network, so data a submission loads must be in the cache before it runs:
 * the grader fetches it (from `KD_DATA_MIRROR` or the official download) with its own rights.
 */
async function prepareData(
  submissions: readonly Submission[],
  note: (text: string) => void,
): Promise<void> {
  if (submissions.some((s) => s.code.includes("loadCifar10"))) {
    note(`preparing the CIFAR-10 cache in ${defaultCacheDir()} (the sandbox has no network)`);
    await ensureCifar10();
  }
}

/** Grades every `.ipynb` in `folder`, by name. */
export async function gradeFolder(folder: string, options: GradeOptions = {}): Promise<Gradebook> {
  const files = await submissionFiles(folder);
  const profile = options.profile ?? "quick";
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const probe = await makeMemoryCage(
    limits.memoryMiB * 2 ** 20,
    `kd-grade-probe-${Deno.pid}`,
    limits.cage,
  );
  await probe.finish();
  const read = await Promise.all(files.map(async (path) => {
    try {
      return { path, submission: await readSubmission(path) };
    } catch (e) {
      return { path, problem: (e as Error).message };
    }
  }));
  await prepareData(
    read.flatMap((r) => r.submission ? [r.submission] : []),
    (text) => progress({ kind: "note", text }),
  );
  const dataDir = readSetting("KD_DATA_DIR");
  const rows: GradedSubmission[] = [];
  for (const [i, r] of read.entries()) {
    const name = r.submission?.name ?? basename(r.path).replace(/\.ipynb$/i, "");
    progress({ kind: "start", index: i + 1, total: read.length, name });
    let row: GradedSubmission;
    if (!r.submission) {
      row = gradedRow(name, [], { status: { kind: "crashed", reason: r.problem! }, seconds: 0 });
    } else {
      const run = await runInSandbox(r.submission.code, {
        repo,
        profile,
        limits,
        ...(dataDir ? { dataDir } : {}),
      });
      row = gradedRow(name, r.submission.exercises, {
        ...run,
        verdicts: run.verdicts.verdicts,
        rejectedLines: run.verdicts.rejectedLines,
      });
    }
    rows.push(row);
    const mean = (performance.now() - started) / 1000 / (i + 1);
    progress({
      kind: "done",
      index: i + 1,
      total: read.length,
      row,
      etaSeconds: mean * (read.length - i - 1),
    });
  }
  return {
    folder,
    rows,
    exercises: byCourseOrder(rows.flatMap((r) => r.exercises)),
    profile,
    limits,
    cage: probe.kind,
    seconds: (performance.now() - started) / 1000,
  };
}
