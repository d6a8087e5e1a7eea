/**
 * How a sandboxed run ended, as the gradebook's status column says it: ok, timeout, memory,
 * crashed, or permission denied naming the permission. Read from what the submission cannot
 * fake where that is possible: the grader's own kill, the operating system's memory verdict,
 * the exit signal. Only the crash reason and the denied permission come from the run's stderr
 * (Deno's last uncaught error), so a submission can at most mislabel its own failure.
 */

/** The end of one run. */
export type Status =
  | { readonly kind: "ok" }
  | { readonly kind: "timeout"; readonly seconds: number }
  /** `limit`: which limit stopped it, in words ("V8's 1536 MiB heap limit"). */
  | { readonly kind: "memory"; readonly limit: string }
  | { readonly kind: "crashed"; readonly reason: string }
  | { readonly kind: "permission"; readonly permission: string; readonly target?: string };

/** What the grader saw of an ended run. */
export interface RunEnd {
  /** Exit code (128 + the signal's number when a signal ended it). */
  readonly code: number;
  readonly signal: string | null;
  /** The grader killed it at the wall-clock limit. */
  readonly timedOut: boolean;
  readonly timeoutSeconds: number;
  /** The operating-system memory limit stopped it (a cgroup's OOM kill, or the grader's watch). */
  readonly memoryKilled: boolean;
  /** That limit in words, for the status: "the 2048 MiB limit of a cgroup v1". */
  readonly systemMemoryLimit: string;
  /** V8's heap limit in words: "V8's 1536 MiB heap limit". */
  readonly heapLimit: string;
  readonly fileSizeMiB: number;
  /** The end of the run's stderr, without colours. */
  readonly stderrTail: string;
}

// V8 ends the process with SIGTRAP (or SIGABRT) after printing this when its heap is full or a
// large allocation fails.
const V8_OUT_OF_MEMORY = /Fatal (JavaScript|process) out of memory|JavaScript heap out of memory/;
const PERMISSION = /Requires (\w+) access(?: to "([^"]*)")?, run again with the --allow-\w+ flag/;
const UNSCOPED = /(Deno\.\w+\(\)) requires unscoped (--allow-\w+(?: and --allow-\w+)?)/;

/** Deno's report of the uncaught error that ended a program: its last `error: ` line onwards. */
export function lastUncaughtError(stderr: string): string | undefined {
  const at = stderr.lastIndexOf("error: ");
  if (at < 0) return undefined;
  const lineStart = stderr.lastIndexOf("\n", at) + 1;
  return stderr.slice(lineStart);
}

/** The status of an ended run. */
export function classifyRun(end: RunEnd): Status {
  if (end.timedOut) return { kind: "timeout", seconds: end.timeoutSeconds };
  if (end.memoryKilled) return { kind: "memory", limit: end.systemMemoryLimit };
  const bySignal = end.signal !== null;
  if (bySignal && V8_OUT_OF_MEMORY.test(end.stderrTail)) {
    return { kind: "memory", limit: end.heapLimit };
  }
  if (end.signal === "SIGXFSZ") {
    return { kind: "crashed", reason: `wrote a file past the ${end.fileSizeMiB} MiB size limit` };
  }
  if (end.code === 0 && !bySignal) return { kind: "ok" };
  const error = lastUncaughtError(end.stderrTail);
  const denied = error?.match(PERMISSION);
  if (denied) {
    return {
      kind: "permission",
      permission: denied[1],
      ...(denied[2] === undefined ? {} : { target: denied[2] }),
    };
  }
  const unscoped = error?.match(UNSCOPED);
  if (unscoped) {
    const permission = unscoped[2].replace(/--allow-/g, "") + " (unscoped)";
    return { kind: "permission", permission, target: unscoped[1] };
  }
  if (error) return { kind: "crashed", reason: firstLine(error.replace(/^error: /, "")) };
  return {
    kind: "crashed",
    reason: bySignal ? `ended by ${end.signal}` : `exit code ${end.code}`,
  };
}

function firstLine(text: string): string {
  const line = text.split("\n")[0].trim();
  return line.length > 300 ? `${line.slice(0, 297)}…` : line;
}

/** The status column: "ok", "timeout", "memory", "crashed", "permission denied". */
export function statusLabel(status: Status): string {
  return status.kind === "permission" ? "permission denied" : status.kind;
}

/** The status in a sentence, for the detail column and the feedback page. */
export function statusDetail(status: Status): string {
  switch (status.kind) {
    case "ok":
      return "ran to the end";
    case "timeout":
      return `stopped at the ${status.seconds} s wall-clock limit`;
    case "memory":
      return `stopped at ${status.limit}`;
    case "crashed":
      return status.reason;
    case "permission":
      return `needed ${status.permission} access${
        status.target === undefined ? "" : ` to ${status.target}`
      }, which the sandbox does not grant`;
  }
}
