/**
 * Picks the fastest TensorFlow.js engine this machine can train CNNs on:
 * native TensorFlow (tfjs-node-gpu, tfjs-node) when really installed, else wasm
 * (SIMD) with our kernels, else the plain-JS cpu backend.
 * `KD_BACKEND=tensorflow|wasm|cpu|webgpu` overrides the choice. Each engine
 * sits behind one interface (engine.ts); this file only chooses among them.
 */
import * as tf from "@tensorflow/tfjs";
import { cpuEngine } from "./cpu.ts";
import type { BackendName, Engine } from "./engine.ts";
import { message } from "./errors.ts";
import { readEngineSetting } from "./settings.ts";
import { findInstalledTfjsNode, tensorflowEngine } from "./tensorflow.ts";
import { lazyWasmEngine, loadWasmEngine } from "./wasm/load.ts";
import { webgpuEngine } from "./webgpu.ts";

/** Valid values of `KD_BACKEND` and `prefer`. */
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu", "webgpu"];

const ENGINES: Record<BackendName, Engine> = {
  tensorflow: tensorflowEngine,
  wasm: lazyWasmEngine,
  cpu: cpuEngine,
  webgpu: webgpuEngine,
};

/** The backend in use and why it was chosen. */
export interface BackendChoice {
  readonly name: BackendName;
  readonly reason: string;
}

export interface SelectBackendOptions {
  /** Try this backend first (after `KD_BACKEND`); unlike the env override, falls back if it fails. */
  prefer?: string;
}

/** Validates a backend name; `source` names where it came from, for the message. */
export function parseBackendName(value: string, source = "KD_BACKEND"): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(
    `${source}="${value}" is not a known backend; valid values: ${BACKEND_NAMES.join(", ")}`,
  );
}

async function choose(
  envValue: string | undefined,
  prefer: string | undefined,
): Promise<BackendChoice> {
  // Read first so that a bad setting is an error, not a silent fallback.
  (await loadWasmEngine()).checkWasmSettings();
  if (envValue !== undefined) {
    const name = parseBackendName(envValue, "KD_BACKEND");
    let extra: string | undefined;
    try {
      extra = await ENGINES[name].start();
    } catch (e) {
      throw new Error(`KD_BACKEND=${name} was requested but failed: ${message(e)}`);
    }
    return choice(name, [`KD_BACKEND=${name}`, extra]);
  }
  const notes: string[] = [];
  if (prefer !== undefined) {
    const name = parseBackendName(prefer, "prefer");
    try {
      return choice(name, [`preferred by caller`, await ENGINES[name].start()]);
    } catch (e) {
      notes.push(`preferred ${name} failed (${message(e)})`);
    }
  }
  if (findInstalledTfjsNode() !== undefined) {
    try {
      return choice("tensorflow", [...notes, await tensorflowEngine.start()]);
    } catch (e) {
      notes.push(`tfjs-node failed (${message(e)})`);
    }
  } else {
    notes.push("tfjs-node not installed");
  }
  try {
    return choice("wasm", [...notes, await lazyWasmEngine.start()]);
  } catch (e) {
    notes.push(`wasm failed (${message(e)})`);
  }
  await cpuEngine.start();
  return choice("cpu", [...notes, "plain JS, slow for CNNs"]);
}

function choice(name: BackendName, parts: (string | undefined)[]): BackendChoice {
  return { name, reason: parts.filter((p) => p !== undefined && p !== "").join("; ") };
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
  const envValue = readEngineSetting("KD_BACKEND");
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
    try {
      await ENGINES[chosen.name].reactivate();
    } catch (e) {
      throw new Error(`could not switch back to the ${chosen.name} backend: ${message(e)}`);
    }
  }
  return chosen;
}

/**
 * One line for logs and notebooks, e.g. "backend: wasm (SIMD, 1 thread) —
 * tfjs-node not installed; conv gradients rewritten as forward convolutions".
 */
export function describeBackend(choice: BackendChoice): string {
  return `backend: ${backendLabel(choice)} — ${choice.reason}`;
}

/** The backend and what it runs on, e.g. "wasm (SIMD, 2 threads + native oneDNN 2.6.3, 2 threads)". */
export function backendLabel(choice: BackendChoice): string {
  const detail = ENGINES[choice.name].detail();
  return `${choice.name}${detail ? ` (${detail})` : ""}`;
}
