/**
 * The gradebook as files: `gradebook.csv` (one row per submission, one column per exercise,
 * plus the status), `feedback.html` (each student's verdicts with the checks' hints) and
 * `logs/<name>.log` (the end of each run's output, for the instructor).
 */
import { join } from "node:path";
import { type ExerciseId, EXERCISES } from "../../lib/exercises/exercises.ts";
import type { Gradebook, GradedSubmission } from "./grade.ts";
import { statusDetail, statusLabel } from "./outcome.ts";
import { heapMiB } from "./sandbox.ts";

/** One exercise cell: pass, fail, "not run" (expected, no verdict), or "" (not expected). */
export function exerciseCell(row: GradedSubmission, id: ExerciseId): string {
  const v = row.verdicts.get(id);
  if (v) return v.passed ? "pass" : "fail";
  return row.exercises.includes(id) ? "not run" : "";
}

/** Passed checks and expected ones, e.g. [2, 3]. */
export function score(row: GradedSubmission): [number, number] {
  const passed = row.exercises.filter((id) => row.verdicts.get(id)?.passed).length;
  return [passed, row.exercises.length];
}

function csvField(value: string): string {
  // A leading =, +, - or @ makes spreadsheets evaluate the text (messages quote learner code).
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV text: submission, status, detail, passed, of, one column per exercise, seconds, peak. */
export function gradebookCsv(book: Gradebook): string {
  const header = [
    "submission",
    "status",
    "detail",
    "passed",
    "of",
    ...book.exercises,
    "seconds",
    "peak_mib",
  ];
  const lines = book.rows.map((row) => {
    const [passed, of] = score(row);
    return [
      row.name,
      statusLabel(row.status),
      statusDetail(row.status),
      String(passed),
      String(of),
      ...book.exercises.map((id) => exerciseCell(row, id)),
      row.seconds.toFixed(1),
      row.peakMiB === undefined ? "" : String(Math.round(row.peakMiB)),
    ];
  });
  return [header, ...lines].map((cells) => cells.map(csvField).join(",")).join("\n") + "\n";
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A name usable as a file name and an HTML id. */
export function slug(name: string): string {
  return name.replace(/[^\w.-]/g, "_") || "_";
}

const COLOURS: Record<string, string> = {
  "pass": "#edf7ed",
  "fail": "#fdecea",
  "not run": "#fff4e5",
};

function exerciseFeedback(row: GradedSubmission, id: ExerciseId): string {
  const title = `${escapeHtml(EXERCISES[id].title)} <span class="id">(${id})</span>`;
  const v = row.verdicts.get(id);
  if (!v) {
    return `<li class="not-run"><b>not run</b> · ${title}<div>No verdict: the program ended ` +
      `before this check reported, or its cell no longer calls the check.</div></li>`;
  }
  const hint = v.hint ? `<div><b>Hint:</b> ${escapeHtml(v.hint)}</div>` : "";
  return `<li class="${v.passed ? "pass" : "fail"}"><b>${v.passed ? "✓ passed" : "✗ not yet"}` +
    `</b> · ${title}<div>${escapeHtml(v.message)}</div>${hint}</li>`;
}

function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-count).join("\n");
}

function studentSection(row: GradedSubmission): string {
  const [passed, of] = score(row);
  const error = row.status.kind === "ok" || !row.stderr.trim()
    ? ""
    : `<details><summary>End of the error output</summary><pre>${
      escapeHtml(lastLines(row.stderr, 30))
    }</pre></details>`;
  return `<section id="${escapeHtml(slug(row.name))}"><h2>${escapeHtml(row.name)}</h2>` +
    `<p class="status ${row.status.kind}"><b>${escapeHtml(statusLabel(row.status))}</b>: ` +
    `${escapeHtml(statusDetail(row.status))} · ${passed} of ${of} checks passed · ` +
    `${row.seconds.toFixed(1)} s</p>${error}` +
    `<ul>${row.exercises.map((id) => exerciseFeedback(row, id)).join("")}</ul></section>`;
}

/** The feedback page: the table of all rows, then each student's verdicts and hints. */
export function feedbackHtml(book: Gradebook): string {
  const head = `<tr><th>submission</th><th>status</th><th>passed</th>${
    book.exercises.map((id) => `<th title="${escapeHtml(EXERCISES[id].title)}">${id}</th>`).join("")
  }</tr>`;
  const rows = book.rows.map((row) => {
    const [passed, of] = score(row);
    const cells = book.exercises.map((id) => {
      const cell = exerciseCell(row, id);
      return `<td style="background:${COLOURS[cell] ?? "#fff"}">${cell}</td>`;
    }).join("");
    return `<tr><td><a href="#${escapeHtml(slug(row.name))}">${escapeHtml(row.name)}</a></td>` +
      `<td>${escapeHtml(statusLabel(row.status))}</td><td>${passed}/${of}</td>${cells}</tr>`;
  }).join("");
  const l = book.limits;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gradebook: ${
    escapeHtml(book.folder)
  }</title><style>
body{font-family:sans-serif;max-width:60em;margin:1em auto;line-height:1.45}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}
.id{color:#666}li{margin:6px 0;padding:4px 8px;border-left:5px solid #999;list-style:none}
li.pass{border-color:#2e7d32;background:#edf7ed}li.fail{border-color:#c62828;background:#fdecea}
li.not-run{border-color:#ef6c00;background:#fff4e5}pre{white-space:pre-wrap;font-size:12px}
</style></head><body><h1>Gradebook: ${escapeHtml(book.folder)}</h1>
<p>${book.rows.length} submissions graded in ${(book.seconds / 60).toFixed(1)} min, profile ` +
    `<code>${book.profile}</code>, each limited to ${l.timeoutSeconds} s, ${l.memoryMiB} MiB ` +
    `(${book.cage}; V8 heap ${heapMiB(l)} MiB) and files of ${l.fileSizeMiB} MiB. Verdicts come ` +
    `from the checks over the grader's channel, not from printed output.</p>
<table>${head}${rows}</table>${book.rows.map(studentSection).join("\n")}</body></html>\n`;
}

/** Writes gradebook.csv, feedback.html and logs/ into `outDir`; returns the two main paths. */
export async function writeGradebook(
  book: Gradebook,
  outDir: string,
): Promise<{ csv: string; html: string }> {
  await Deno.mkdir(join(outDir, "logs"), { recursive: true });
  const csv = join(outDir, "gradebook.csv");
  const html = join(outDir, "feedback.html");
  await Deno.writeTextFile(csv, gradebookCsv(book));
  await Deno.writeTextFile(html, feedbackHtml(book));
  for (const row of book.rows) {
    const log =
      `--- stdout (its end) ---\n${row.stdout}\n--- stderr (its end) ---\n${row.stderr}\n`;
    await Deno.writeTextFile(join(outDir, "logs", `${slug(row.name)}.log`), log);
  }
  return { csv, html };
}
