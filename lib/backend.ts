/**
 * Picks the fastest TensorFlow.js backend this machine can train CNNs on:
 * native TensorFlow (tfjs-node-gpu, tfjs-node) when really installed, else wasm
 * (SIMD) with our conv-gradient kernels, else the plain-JS cpu backend.
 * `KD_BACKEND=tensorflow|wasm|cpu|webgpu` overrides the choice. The wasm
 * backend runs one thread per core unless `KD_WASM_THREADS=N` asks for another
 * number (lib/wasm_threads.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { registerWasmTrainingKernels } from "./kernels/register.ts";
import {
  prepareWasmThreads,
  wasmThreadsRequested,
  type WasmThreadsSession,
} from "./wasm_threads.ts";
import { readEnv } from "./env.ts";

/** The backends the library knows how to start. */
export type BackendName = "tensorflow" | "wasm" | "cpu" | "webgpu";

/** Valid values of `KD_BACKEND` and `prefer`. */
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu", "webgpu"];

/** The backend in use and why it was chosen. */
export interface BackendChoice {
  readonly name: BackendName;
  readonly reason: string;
}

export interface SelectBackendOptions {
  /** Try this backend first (after `KD_BACKEND`); unlike the env override, falls back if it fails. */
  prefer?: string;
}

/** A native tfjs package found on disk. */
export interface InstalledTfjsNode {
  /** `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`. */
  readonly name: string;
  /** The project root whose node_modules holds it. */
  readonly root: string;
}

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;
const WEBGPU_SPECIFIER = "@tensorflow/tfjs-backend-webgpu";
const WASM_REASON = "conv gradients rewritten as forward convolutions";

/** Validates a backend name; `source` names where it came from, for the message. */
export function parseBackendName(value: string, source = "KD_BACKEND"): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(
    `${source}="${value}" is not a known backend; valid values: ${BACKEND_NAMES.join(", ")}`,
  );
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Where to look for node_modules: the project holding this file, then the cwd. */
function projectRoots(): string[] {
  const roots: string[] = [];
  const here = new URL("../", import.meta.url);
  if (here.protocol === "file:") roots.push(fileURLToPath(here));
  try {
    roots.push(Deno.cwd());
  } catch {
    // no read permission for the cwd
  }
  return [...new Set(roots.map((r) => r.replace(/\/+$/, "")))];
}

/**
 * Finds tfjs-node-gpu or tfjs-node (in that order) installed with its native
 * binding under `<root>/node_modules`. Reads the disk only: a package that npm
 * or Deno unpacked without running its install script (no tfjs_binding.node)
 * does not count.
 */
export function findInstalledTfjsNode(
  roots: readonly string[] = projectRoots(),
): InstalledTfjsNode | undefined {
  for (const name of NATIVE_PACKAGES) {
    for (const root of roots) {
      const dir = join(root, "node_modules", name);
      if (!isFile(join(dir, "package.json"))) continue;
      let entries: Deno.DirEntry[] = [];
      try {
        entries = [...Deno.readDirSync(join(dir, "lib"))];
      } catch {
        continue;
      }
      const bound = entries.some((e) =>
        e.isDirectory && e.name.startsWith("napi-v") &&
        isFile(join(dir, "lib", e.name, "tfjs_binding.node"))
      );
      if (bound) return { name, root };
    }
  }
  return undefined;
}

async function activateTensorflow(): Promise<string> {
  const found = findInstalledTfjsNode();
  if (found === undefined) {
    throw new Error(
      `tfjs-node is not installed: no ${NATIVE_PACKAGES.join(" or ")} with its native ` +
        `binding in node_modules of ${projectRoots().join(" or ")}`,
    );
  }
  // createRequire loads the CommonJS package from disk; an npm: import of a
  // package missing from the lockfile would make Deno download it instead.
  createRequire(join(found.root, "noop.js"))(found.name);
  if (!(await tf.setBackend("tensorflow"))) {
    throw new Error(`${found.name} loaded but the 'tensorflow' backend failed to start`);
  }
  return `${found.name} installed (native TensorFlow)`;
}

/** Whether the wasm backend has started in this process (it starts only once). */
function wasmStarted(): boolean {
  return tf.engine().registry["wasm"] !== undefined;
}

/**
 * Starts the wasm backend, threaded when more than one thread is wanted and
 * it has not started yet; falls back to one thread
 * if the threaded start fails. Resolves to a note for the reason, if any.
 */
async function activateWasm(threads: number): Promise<string | undefined> {
  registerWasmTrainingKernels();
  let note: string | undefined;
  if (threads > 1 && !wasmStarted()) {
    let session: WasmThreadsSession | undefined;
    try {
      session = await prepareWasmThreads(threads);
      let ok: boolean;
      try {
        ok = await tf.setBackend("wasm");
      } finally {
        session.restore();
      }
      if (ok) return undefined;
      throw new Error("the threaded wasm backend failed to start");
    } catch (e) {
      await session?.abandon();
      note = `wasm threads failed (${message(e)}), so 1 thread`;
    }
  }
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to start");
  return note;
}

async function activateCpu(): Promise<void> {
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend failed to start");
}

async function activateWebgpu(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu === undefined) {
    throw new Error(
      "WebGPU is not available here (navigator.gpu is missing); use a runtime with WebGPU " +
        "or pick another backend",
    );
  }
  // A computed specifier so that type-checking does not fetch the package;
  // it is loaded (through the import map) only when asked for.
  const specifier: string = WEBGPU_SPECIFIER;
  await import(specifier);
  if (!(await tf.setBackend("webgpu"))) {
    throw new Error("the webgpu backend failed to start (no usable GPU adapter?)");
  }
}

/** Starts one backend; resolves to extra words for the reason, or throws. */
async function activate(name: BackendName, wasmThreads: number): Promise<string | undefined> {
  switch (name) {
    case "tensorflow":
      return await activateTensorflow();
    case "wasm":
      return joinParts([await activateWasm(wasmThreads), WASM_REASON]);
    case "cpu":
      await activateCpu();
      return undefined;
    case "webgpu":
      await activateWebgpu();
      return undefined;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function choose(
  envValue: string | undefined,
  prefer: string | undefined,
): Promise<BackendChoice> {
  // Read first so that a bad KD_WASM_THREADS is an error, not a silent fallback.
  const wasmThreads = wasmThreadsRequested().threads;
  if (envValue !== undefined) {
    const name = parseBackendName(envValue, "KD_BACKEND");
    let extra: string | undefined;
    try {
      extra = await activate(name, wasmThreads);
    } catch (e) {
      throw new Error(`KD_BACKEND=${name} was requested but failed: ${message(e)}`);
    }
    return choice(name, [`KD_BACKEND=${name}`, extra]);
  }
  const notes: string[] = [];
  if (prefer !== undefined) {
    const name = parseBackendName(prefer, "prefer");
    try {
      return choice(name, [`preferred by caller`, await activate(name, wasmThreads)]);
    } catch (e) {
      notes.push(`preferred ${name} failed (${message(e)})`);
    }
  }
  if (findInstalledTfjsNode() !== undefined) {
    try {
      return choice("tensorflow", [...notes, await activateTensorflow()]);
    } catch (e) {
      notes.push(`tfjs-node failed (${message(e)})`);
    }
  } else {
    notes.push("tfjs-node not installed");
  }
  try {
    const note = await activateWasm(wasmThreads);
    return choice("wasm", [...notes, note, WASM_REASON]);
  } catch (e) {
    notes.push(`wasm failed (${message(e)})`);
  }
  await activateCpu();
  return choice("cpu", [...notes, "plain JS, slow for CNNs"]);
}

function joinParts(parts: (string | undefined)[]): string {
  return parts.filter((p) => p !== undefined && p !== "").join("; ");
}

function choice(name: BackendName, parts: (string | undefined)[]): BackendChoice {
  return { name, reason: joinParts(parts) };
}

let cached: { key: string; choice: Promise<BackendChoice> } | undefined;

/**
 * Chooses and activates a backend. Order: `KD_BACKEND` (an error if unknown or
 * if it fails to start), then `options.prefer`, then tfjs-node-gpu, tfjs-node
 * (only if installed in node_modules), wasm with our kernels, cpu. The result is
 * cached per (KD_BACKEND, prefer): calling again is cheap and returns the same
 * object. A failed selection is not cached.
 */
export function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const envValue = readEnv("KD_BACKEND");
  const key = `${envValue ?? ""}\u0000${options.prefer ?? ""}`;
  if (cached?.key === key) return cached.choice;
  const pending = choose(envValue, options.prefer);
  const entry = { key, choice: pending };
  cached = entry;
  pending.catch(() => {
    if (cached === entry) cached = undefined;
  });
  return pending;
}

/**
 * Selects the backend once and makes sure it is still the active one (a test or
 * notebook may have switched with tf.setBackend). Call once before using tf.
 */
export async function ensureBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const chosen = await selectBackend(options);
  if (tf.getBackend() !== chosen.name) {
    if (chosen.name === "wasm") registerWasmTrainingKernels();
    if (!(await tf.setBackend(chosen.name))) {
      throw new Error(`could not switch back to the ${chosen.name} backend`);
    }
  }
  return chosen;
}

function wasmDetail(): string {
  let simd = "SIMD unknown";
  try {
    simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD";
  } catch {
    // flag not evaluated yet: the wasm backend has not started
  }
  let threads = "threads unknown";
  try {
    const n = getThreadsCount();
    threads = `${n} thread${n === 1 ? "" : "s"}`;
  } catch {
    // backend not initialised
  }
  return ` (${simd}, ${threads})`;
}

/**
 * One line for logs and notebooks, e.g. "backend: wasm (SIMD, 1 thread) —
 * tfjs-node not installed; conv gradients rewritten as forward convolutions".
 */
export function describeBackend(choice: BackendChoice): string {
  const detail = choice.name === "wasm"
    ? wasmDetail()
    : choice.name === "cpu"
    ? " (plain JS)"
    : choice.name === "tensorflow"
    ? " (native)"
    : "";
  return `backend: ${choice.name}${detail} — ${choice.reason}`;
}
