/**
 * The wasm engine: tfjs's wasm backend (SIMD, one thread per core, or one beside
 * the native layer, unless `KD_WASM_THREADS` says otherwise) with our training and speed kernels, and
 * the native layer on top (convolutions and matrix products by oneDNN through
 * FFI, native/) where the machine has a library that passes its proof.
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { type Engine, setBackendOrThrow } from "../engine.ts";
import { message } from "../errors.ts";
import { registerWasmTrainingKernels } from "./kernels/register.ts";
import { type NativeLayer, nativeThreadsRequested, startNative } from "./native/start.ts";
import {
  installNativeKernels,
  NATIVE_KERNELS,
  uninstallNativeKernels,
} from "./native/tfjs_kernels.ts";
import { installSharedTapeSaves } from "./tape_saves.ts";
import { prepareWasmThreads, type WasmThreadsSession } from "./threads.ts";
import { wasmThreadsRequested } from "./threads_request.ts";

const REASON = "conv gradients rewritten as forward convolutions";

/** Whether the wasm backend has started in this process (it starts only once). */
function wasmStarted(): boolean {
  return tf.engine().registry["wasm"] !== undefined;
}

/**
 * Starts the wasm backend, threaded when more than one thread is wanted and it
 * has not started yet; falls back to one thread if the threaded start fails.
 * Resolves to a note for the reason, if any.
 */
async function startWasm(threads: number): Promise<string | undefined> {
  registerWasmTrainingKernels();
  installSharedTapeSaves();
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
      await setBackendOrThrow("wasm", "the wasm backend");
      return `wasm threads failed (${message(e)}), so 1 thread`;
    }
  }
  await setBackendOrThrow("wasm", "the wasm backend");
  return undefined;
}

/** `KD_WASM_THREADS` is read before anything starts, so a bad value is an error, not a fallback. */
export function checkWasmSettings(): void {
  wasmThreadsRequested();
  nativeThreadsRequested();
}

/** The native layer, once started; undefined when the machine has none (or it is off). */
let native: NativeLayer | undefined;

/** The running native layer, for benches and tests that compare it with the wasm path. */
export function nativeLayer(): NativeLayer | undefined {
  return native;
}

/** What benches and the library's tests may know of the running native layer. */
export interface NativeLayerInfo {
  /** The library, e.g. "oneDNN 2.6.3". */
  readonly description: string;
  readonly threads: number;
  /** The tfjs kernels it serves. */
  readonly kernels: readonly string[];
  /** oneDNN objects alive now (primitives, memories), to find leaks. */
  liveObjects(): number;
}

/** The running native layer; undefined on the pure wasm path. */
export function nativeLayerInfo(): NativeLayerInfo | undefined {
  const layer = native;
  if (!layer) return undefined;
  return {
    description: layer.description,
    threads: layer.kernels.threads,
    kernels: NATIVE_KERNELS,
    liveObjects: () => layer.kernels.liveObjects(),
  };
}

/**
 * Runs `fn` on the pure wasm path (the native kernels uninstalled, then put back), to compare the
 * two paths in one process. Without a native layer it just runs `fn`.
 */
export async function withoutNativeKernels<T>(fn: () => T | Promise<T>): Promise<T> {
  const layer = native;
  if (!layer) return await fn();
  uninstallNativeKernels();
  try {
    return await fn();
  } finally {
    installNativeKernels(layer.kernels);
  }
}

export const wasmEngine: Engine = {
  backend: "wasm",
  async start() {
    // The native layer first: whether it runs decides how many wasm threads are worth having.
    const started = native ? { ok: true as const, layer: native } : await startNative();
    const note = await startWasm(wasmThreadsRequested(started.ok).threads);
    if (started.ok) {
      native = started.layer;
      installNativeKernels(native.kernels);
    }
    const nativeNote = started.ok
      ? "convolutions, matrix products, batch norm and large element-wise ops native"
      : `no native library (${started.reason})`;
    return [note, REASON, nativeNote].filter((p) => p !== undefined).join("; ");
  },
  async reactivate() {
    registerWasmTrainingKernels();
    if (native) installNativeKernels(native.kernels);
    await setBackendOrThrow("wasm", "the wasm backend");
  },
  detail() {
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
    const layer = native
      ? ` + native ${native.kernels.description}, ${native.kernels.threads} thread${
        native.kernels.threads === 1 ? "" : "s"
      }`
      : "";
    return `${simd}, ${threads}${layer}`;
  },
};
