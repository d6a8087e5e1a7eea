/**
 * `deno task grade <folder> [--out <dir>] [--profile quick|cpu|full] [--timeout <s>]
 * [--memory <MiB>]`: grades every submitted notebook in `folder` in the sandbox (sandbox.ts) and
 * writes the gradebook (gradebook.ts), with one progress line per submission on the terminal.
 */
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ProfileName, PROFILES } from "../../lib/notebook/profile.ts";
import { DEFAULT_LIMITS, gradeFolder, type GradeProgress } from "./grade.ts";
import { score, writeGradebook } from "./gradebook.ts";
import { statusDetail, statusLabel } from "./outcome.ts";

const USAGE = `usage: deno task grade <folder of .ipynb> [--out <dir>] [--profile quick|cpu|full]
                       [--timeout <seconds>] [--memory <MiB>]

  --out      where gradebook.csv, feedback.html and logs/ go (default build/grade/<folder name>)
  --profile  the lessons' profile the notebooks run in (default quick)
  --timeout  wall-clock seconds per submission (default ${DEFAULT_LIMITS.timeoutSeconds})
  --memory   MiB per submission (default ${DEFAULT_LIMITS.memoryMiB}; V8's heap gets 3/4 of it)`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  Deno.exit(2);
}

function positive(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${flag} ${value}: give a positive number`);
  return n;
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    out: { type: "string" },
    profile: { type: "string" },
    timeout: { type: "string" },
    memory: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
if (positionals.length !== 1) fail("give exactly one folder of submitted notebooks");
const profile = values.profile ?? "quick";
if (!(PROFILES as readonly string[]).includes(profile)) {
  fail(`--profile ${profile}: use one of ${PROFILES.join(", ")}`);
}
// `deno task` runs in the repository; paths on the command line are the caller's.
const callerDir = Deno.env.get("INIT_CWD") ?? Deno.cwd();
const folder = resolve(callerDir, positionals[0]);
const repo = new URL("../../", import.meta.url).pathname;
const outDir = values.out
  ? resolve(callerDir, values.out)
  : resolve(repo, "build", "grade", basename(folder));
const limits = {
  timeoutSeconds: positive("timeout", values.timeout, DEFAULT_LIMITS.timeoutSeconds),
  memoryMiB: positive("memory", values.memory, DEFAULT_LIMITS.memoryMiB),
};

const tty = Deno.stdout.isTerminal();
const encoder = new TextEncoder();

function show(event: GradeProgress): void {
  if (event.kind === "note") {
    console.log(event.text);
    return;
  }
  const at = `[${String(event.index).padStart(String(event.total).length)}/${event.total}]`;
  if (event.kind === "start") {
    // On a terminal the line is finished in place when the run ends.
    if (tty) Deno.stdout.writeSync(encoder.encode(`${at} ${event.name} …`));
    return;
  }
  const { row } = event;
  const [passed, of] = score(row);
  const status = row.status.kind === "ok"
    ? "ok"
    : `${statusLabel(row.status)} (${statusDetail(row.status)})`;
  const left = event.index < event.total
    ? ` · about ${Math.ceil(event.etaSeconds / 60)} min left`
    : "";
  const line = `${at} ${row.name}: ${status}, ${passed}/${of} checks passed, ` +
    `${row.seconds.toFixed(1)} s${left}`;
  if (tty) Deno.stdout.writeSync(encoder.encode(`\r\x1b[K${line}\n`));
  else console.log(line);
}

console.log(
  `grading ${folder} in the ${profile} profile: each submission gets ${limits.timeoutSeconds} s ` +
    `and ${limits.memoryMiB} MiB, reads only the library, packages and data, writes only a ` +
    `fresh temporary folder`,
);
const book = await gradeFolder(folder, {
  profile: profile as ProfileName,
  limits,
  onProgress: show,
});
const { csv, html } = await writeGradebook(book, outDir);
console.log(
  `${book.rows.length} submissions in ${(book.seconds / 60).toFixed(1)} min ` +
    `(memory limit enforced by ${book.cage})\ngradebook: ${csv}\nfeedback:  ${html}`,
);
