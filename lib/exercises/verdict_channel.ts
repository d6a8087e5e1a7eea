/**
 * The channel from a notebook's checks to `deno task grade`. In the grader's sandbox
 * `KD_GRADE_CHANNEL` names a file outside the run's writable folder, named by a nonce drawn for
 * that run and writable by that run alone, and `showResult` appends each verdict to it as one JSON
 * line. The grader takes verdicts from this file only, never from what the notebook prints, so
 * text printed to look like "✓ passed" counts for nothing. It is no defence against code in the
 * same process: that code can call `showResult` with a made-up result, write to the file or patch
 * the checks (the README's "For instructors" says what the sandbox does and does not prevent).
 */
import { readSetting } from "../settings.ts";

/** One verdict as the grader receives it. */
export interface SentVerdict {
  readonly exercise: string;
  readonly passed: boolean;
  readonly message: string;
  readonly hint?: string;
}

/** Appends `verdict` to the grader's channel; does nothing when `KD_GRADE_CHANNEL` is unset. */
export function sendVerdict(verdict: SentVerdict): void {
  const path = readSetting("KD_GRADE_CHANNEL");
  if (path === undefined) return;
  const { exercise, passed, message, hint } = verdict;
  // Synchronous, so a verdict is on disk even when the run is killed right after the check.
  Deno.writeTextFileSync(path, JSON.stringify({ exercise, passed, message, hint }) + "\n", {
    append: true,
  });
}

function isVerdict(v: unknown): v is SentVerdict {
  const r = v as SentVerdict | null;
  return typeof r === "object" && r !== null && typeof r.exercise === "string" &&
    typeof r.passed === "boolean" && typeof r.message === "string" &&
    (r.hint === undefined || typeof r.hint === "string");
}

/** What a channel file holds: the last verdict per exercise; how many lines were not verdicts. */
export interface ReceivedVerdicts {
  readonly verdicts: ReadonlyMap<string, SentVerdict>;
  readonly rejectedLines: number;
}

/** Reads a channel file's text; an exercise shown twice counts its last verdict, like a re-run. */
export function readVerdicts(text: string): ReceivedVerdicts {
  const verdicts = new Map<string, SentVerdict>();
  let rejectedLines = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (!isVerdict(value)) {
      rejectedLines++;
      continue;
    }
    const { exercise, passed, message, hint } = value;
    verdicts.set(exercise, { exercise, passed, message, ...(hint === undefined ? {} : { hint }) });
  }
  return { verdicts, rejectedLines };
}
