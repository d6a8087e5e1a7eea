/**
 * What a check returns and how it shows in a notebook: a short verdict, green ✓
 * or red ✗, with a hint on what to look at when the answer is wrong.
 */
import { inJupyterKernel, kernelDisplay, type MediaBundle } from "../notebook/kernel_output.ts";
import { exerciseTitle } from "./define.ts";
import type { ExerciseId } from "./ids.ts";
import { sendVerdict } from "./verdict_channel.ts";

/** The verdict of one check. */
export interface CheckResult {
  readonly exercise: ExerciseId;
  readonly title: string;
  readonly passed: boolean;
  /** One sentence: what was checked and what was found. */
  readonly message: string;
  /** On a fail: what to look at (expected vs got, the first differing input, the formula). */
  readonly hint?: string;
}

// Deno's kernel renders an object that has this method when it is a cell's last
// expression (`Deno.jupyter.$display`); spelled via Symbol.for because reading
// `Deno.jupyter` outside the kernel throws.
const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

function make(exercise: ExerciseId, passed: boolean, message: string, hint?: string): CheckResult {
  const result: CheckResult = {
    exercise,
    title: exerciseTitle(exercise),
    passed,
    message,
    ...(hint === undefined ? {} : { hint }),
  };
  // Non-enumerable, so results compare and print as plain data.
  Object.defineProperty(result, JUPYTER_DISPLAY, { value: () => resultBundle(result) });
  Object.defineProperty(result, "toString", { value: () => resultText(result) });
  return Object.freeze(result);
}

/** A pass. */
export function checkPassed(exercise: ExerciseId, message: string): CheckResult {
  return make(exercise, true, message);
}

/** A fail with the hint that says what to look at. */
export function checkFailed(exercise: ExerciseId, message: string, hint: string): CheckResult {
  return make(exercise, false, message, hint);
}

/** `✓ 01-soft-targets (Soft targets with temperature): …` plus an indented hint line. */
export function resultText(result: CheckResult): string {
  const head = `${result.passed ? "✓" : "✗"} ${result.exercise} (${result.title}): ${
    result.passed ? "passed" : "not yet"
  } — ${result.message}`;
  return result.hint ? `${head}\n  hint: ${result.hint}` : head;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The display bundle: a green or red box (`text/html`) and the text line (`text/plain`). */
export function resultBundle(result: CheckResult): MediaBundle {
  const [border, background, mark, verdict] = result.passed
    ? ["#2e7d32", "#edf7ed", "✓", "passed"]
    : ["#c62828", "#fdecea", "✗", "not yet"];
  const hint = result.hint
    ? `<div style="margin-top:4px"><b>Hint:</b> ${escapeHtml(result.hint)}</div>`
    : "";
  const html = `<div class="kd-check" style="border:1px solid ${border};` +
    `border-left:6px solid ${border};background:${background};padding:6px 10px;margin:4px 0;` +
    `border-radius:4px;font-family:sans-serif;font-size:14px;line-height:1.45">` +
    `<b style="color:${border}">${mark} ${verdict}</b> · <b>${escapeHtml(result.title)}</b> ` +
    `<span style="color:#666">(${result.exercise})</span><div>${escapeHtml(result.message)}</div>` +
    `${hint}</div>`;
  return { "text/html": html, "text/plain": resultText(result) };
}

function isCheckResult(value: unknown): value is CheckResult {
  const r = value as CheckResult | null;
  return typeof r === "object" && r !== null && typeof r.passed === "boolean" &&
    typeof r.exercise === "string" && typeof r.message === "string";
}

/**
 * Shows one verdict: in the kernel one display bundle, elsewhere the text line on stdout; under
 * `deno task grade` it also goes to the grader (verdict_channel.ts). Accepts the promise of an
 * async check too. Always `await` it, so the display belongs to this cell. Returns nothing on
 * purpose: a returned result would be displayed a second time as the cell's value.
 */
export async function showResult(result: CheckResult | Promise<CheckResult>): Promise<void> {
  const r = await result;
  if (!isCheckResult(r)) {
    throw new TypeError(
      `showResult expects the result of a check function (e.g. checkSoftTargets(...)), got ${
        r === null ? "null" : typeof r
      }`,
    );
  }
  sendVerdict(r);
  if (!inJupyterKernel()) {
    console.log(resultText(r));
    return;
  }
  await kernelDisplay(resultBundle(r), { raw: true });
}
