/**
 * Runs one submission's program in a child Deno process that may only read the library, the npm
 * packages, the data caches and the program itself; read and write one fresh temporary folder
 * (its working folder and TMPDIR); write the run's verdict channel; read the `KD_*` settings the
 * grader sets and the number of CPUs (the wasm engine sizes its threads by it). No network,
 * subprocesses, FFI (so the pure wasm path), other environment variables or remote modules. A
 * wall-clock limit, V8's heap limit, an operating-system memory limit (memory_limit.ts) and a
 * file-size limit (`ulimit -f`) bound it; the grader kills it past the clock or the OS memory
 * limit. */
import { join } from "node:path";
import type { ProfileName } from "../../lib/notebook/profile.ts";
import { readVerdicts, type ReceivedVerdicts } from "../../lib/exercises/verdict_channel.ts";
import { SEED_SPREAD_PATH } from "../../lib/notebook/seed_spread.ts";
import {
  type CagePreference,
  makeMemoryCage,
  type MemoryCage,
  type MemoryCageKind,
} from "./memory_limit.ts";
import { classifyRun, type Status } from "./outcome.ts";
import { importViolation } from "./preflight.ts";

export interface SandboxLimits {
  /** Wall-clock seconds before the run is killed. */
  readonly timeoutSeconds: number;
  /** The operating-system memory limit; V8's heap limit is three quarters of it (heapMiB). */
  readonly memoryMiB: number;
  /** The largest file the run may write. */
  readonly fileSizeMiB: number;
  /** "watch" forces the resident-size watch instead of a cgroup (tests cover both). */
  readonly cage?: CagePreference;
}

export interface SandboxSetup {
  /** The repository whose lib/, engine/, node_modules/, data/ and seed file the run may read. */
  readonly repo: string;
  readonly profile: ProfileName;
  /** `KD_DATA_DIR`, when the grader has one: the run reads its caches there. */
  readonly dataDir?: string;
  readonly limits: SandboxLimits;
}

/** What one run gave. */
export interface SandboxRun {
  readonly status: Status;
  readonly verdicts: ReceivedVerdicts;
  readonly seconds: number;
  readonly peakMiB?: number;
  /** Where the memory limit was enforced; absent when the run was refused before it started. */
  readonly cage?: MemoryCageKind;
  /** The ends of its stdout and stderr (colours removed), for the log and the feedback page. */
  readonly stdout: string;
  readonly stderr: string;
}

// The wrapper lowers the file-size limit ($1, 512-byte blocks in POSIX sh) and joins the cgroup
// ($2, when there is one) before it becomes Deno, so the run is limited from its first byte.
const WRAPPER =
  'ulimit -f "$1" || exit 125; if [ -n "$2" ]; then echo $$ > "$2" || exit 125; fi; ' +
  'shift 2; exec "$@"';

const TAIL_BYTES = 64 * 1024;

/**
 * V8's heap limit: three quarters of the memory limit, so that a full JavaScript heap stops at
 * V8's own clear error before the operating system's kill (the rest is wasm memory and buffers).
 */
export function heapMiB(limits: SandboxLimits): number {
  return Math.floor(limits.memoryMiB * 0.75);
}

/** Keeps the last `TAIL_BYTES` of a stream, so a run that prints without end costs no memory. */
async function tail(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    while (size - chunks[0].length >= TAIL_BYTES) size -= chunks.shift()!.length;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return new TextDecoder().decode(all.subarray(Math.max(0, size - TAIL_BYTES)));
}

// deno-lint-ignore no-control-regex
const stripColours = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

let denoDir: Promise<string> | undefined;

/** The grader's DENO_DIR, which the run shares, so the library is transpiled once, not per run. */
function graderDenoDir(): Promise<string> {
  denoDir ??= new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .output()
    .then((o) => (JSON.parse(new TextDecoder().decode(o.stdout)) as { denoDir: string }).denoDir);
  return denoDir;
}

/** 128 random bits in hex: names nobody can guess before the run. */
function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Permission lists are comma-separated, so a path with a comma cannot be granted exactly. */
function list(paths: readonly string[]): string {
  const bad = paths.find((p) => p.includes(","));
  if (bad) throw new Error(`${bad}: a path with a comma cannot be granted to the sandbox; move it`);
  return paths.join(",");
}

/** Runs `code` (one submission's program) in the sandbox and reads its verdicts. */
export async function runInSandbox(code: string, setup: SandboxSetup): Promise<SandboxRun> {
  const { repo, limits } = setup;
  // The program sits one folder below the repository, like notebooks/, so the cells'
  // `../lib/mod.ts` imports resolve, and the repository's deno.json maps the npm packages.
  const programDir = join(repo, ".grade_code");
  const program = join(programDir, `${nonce()}.ts`);
  const work = await Deno.makeTempDir({ prefix: "kd-grade-run-" });
  // The channel lives outside the writable folder, in a folder only the grader can list, under a
  // name drawn now: no submission can write it in advance, and no other run may write it at all.
  const channelDir = await Deno.makeTempDir({ prefix: "kd-grade-channel-" });
  const channel = join(channelDir, `${nonce()}.jsonl`);
  const started = performance.now();
  try {
    await Deno.mkdir(programDir, { recursive: true });
    await Deno.writeTextFile(program, code);
    await Deno.mkdir(join(work, "notebooks"));
    await Deno.mkdir(join(work, "tmp"));
    await Deno.writeTextFile(channel, "");
    const readRoots = [
      join(repo, "lib"),
      join(repo, "engine"),
      join(repo, "node_modules"),
      join(repo, "data"),
      // The one file outside those a lesson shows: notebook 01's recorded seed runs.
      join(repo, SEED_SPREAD_PATH),
      ...(setup.dataDir ? [setup.dataDir] : []),
      program,
      work,
    ];
    const violation = await importViolation(program, readRoots, repo);
    if (violation) {
      return {
        status: { kind: "permission", ...violation, target: `${violation.target} (an import)` },
        verdicts: readVerdicts(""),
        seconds: (performance.now() - started) / 1000,
        stdout: "",
        stderr: "",
      };
    }
    const env: Record<string, string> = {
      NO_COLOR: "1",
      DENO_DIR: await graderDenoDir(),
      TMPDIR: join(work, "tmp"),
      KD_PROFILE: setup.profile,
      KD_NATIVE: "0",
      KD_BACKEND: "wasm",
      KD_GRADE_CHANNEL: channel,
      ...(setup.dataDir ? { KD_DATA_DIR: setup.dataDir } : {}),
    };
    const args = [
      "run",
      "--no-prompt",
      "--no-remote",
      "--cached-only",
      "--frozen",
      `--v8-flags=--max-old-space-size=${heapMiB(limits)}`,
      `--allow-read=${list(readRoots)}`,
      `--allow-write=${list([work, channel])}`,
      `--allow-env=${Object.keys(env).filter((k) => k.startsWith("KD_")).join(",")}`,
      "--allow-sys=cpus",
      program,
    ];
    const cage = await makeMemoryCage(
      limits.memoryMiB * 2 ** 20,
      `kd-grade-${nonce()}`,
      limits.cage,
    );
    let ended: [string, string, Deno.CommandStatus];
    let timedOut = false;
    let memory: Awaited<ReturnType<MemoryCage["finish"]>>;
    try {
      const child = new Deno.Command("/bin/sh", {
        args: [
          "-c",
          WRAPPER,
          "kd-grade",
          String(limits.fileSizeMiB * 2048),
          cage.procsFile ?? "",
          Deno.execPath(),
          ...args,
        ],
        cwd: join(work, "notebooks"),
        clearEnv: true,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      cage.watch(child.pid);
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          child.kill("SIGKILL");
        } catch {
          // it ended meanwhile
        }
      }, limits.timeoutSeconds * 1000);
      ended = await Promise.all([tail(child.stdout), tail(child.stderr), child.status]);
      clearTimeout(timer);
    } finally {
      memory = await cage.finish();
    }
    const [stdout, stderr, end] = ended;
    const seconds = (performance.now() - started) / 1000;
    const stderrTail = stripColours(stderr);
    const status = classifyRun({
      code: end.code,
      signal: end.signal,
      timedOut,
      timeoutSeconds: limits.timeoutSeconds,
      memoryKilled: memory.exceeded,
      systemMemoryLimit: `the ${limits.memoryMiB} MiB limit of a ${cage.kind}`,
      heapLimit: `V8's ${heapMiB(limits)} MiB heap limit`,
      fileSizeMiB: limits.fileSizeMiB,
      stderrTail,
    });
    return {
      status,
      verdicts: readVerdicts(await Deno.readTextFile(channel)),
      seconds,
      ...(memory.peakBytes === undefined ? {} : { peakMiB: memory.peakBytes / 2 ** 20 }),
      cage: cage.kind,
      stdout: stripColours(stdout),
      stderr: stderrTail,
    };
  } finally {
    await Deno.remove(program).catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.remove(channelDir, { recursive: true }).catch(() => {});
  }
}
