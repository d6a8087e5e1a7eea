/**
 * The wasm engine: tfjs's wasm backend (SIMD, one thread per core, or one beside
 * the native layer, unless `KD_WASM_THREADS` says otherwise) with our training and speed kernels, and
 * the native layer on top (convolutions and matrix products by oneDNN through
 * FFI, lib/engines/native/) where the machine has a library that passes its proof.
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { type Engine, setBackendOrThrow } from "../engine.ts";
import { registerWasmTrainingKernels } from "./kernels/register.ts";
import { type NativeLayer, nativeThreadsRequested, startNative } from "../native/start.ts";
import { installNativeKernels } from "../native/tfjs_kernels.ts";
import { prepareWasmThreads, wasmThreadsRequested, type WasmThreadsSession } from "./threads.ts";

const REASON = "conv gradients rewritten as forward convolutions";

/** Whether the wasm backend has started in this process (it starts only once). */
function wasmStarted(): boolean {
  return tf.engine().registry["wasm"] !== undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Starts the wasm backend, threaded when more than one thread is wanted and it
 * has not started yet; falls back to one thread if the threaded start fails.
 * Resolves to a note for the reason, if any.
 */
async function startWasm(threads: number): Promise<string | undefined> {
  registerWasmTrainingKernels();
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
