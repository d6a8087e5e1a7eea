/**
 * How many wasm threads to start (`KD_WASM_THREADS`) and whether this runtime
 * can run them at all. Apart from threads.ts, which starts them, because this
 * part loads no wasm backend: the engine's entry exports it to tests and
 * benches without starting anything.
 */
import { message } from "../errors.ts";
import { type EngineSettingName, readEngineSetting } from "../settings.ts";

/** Environment variable that sets the number of threads (1 turns threads off). */
export const WASM_THREADS_ENV: EngineSettingName = "KD_WASM_THREADS";

/** Emscripten's pthread pool size in tfjs 4.22, which is also the C side's cap. */
export const MAX_WASM_THREADS = 8;

/** How many threads to ask for, and where that number came from. */
export interface WasmThreadsRequest {
  readonly threads: number;
  readonly source: string;
}

/**
 * The number of wasm threads wanted: `KD_WASM_THREADS` if set, else one per
 * core, or one beside the native layer; at most `MAX_WASM_THREADS`. See `parseWasmThreads`.
 */
export function wasmThreadsRequested(nativeLayer = false): WasmThreadsRequest {
  return parseWasmThreads(readEngineSetting(WASM_THREADS_ENV), undefined, nativeLayer);
}

/**
 * Reads a `KD_WASM_THREADS` value: a positive integer or `cores` (one thread
 * per logical core), capped at `MAX_WASM_THREADS`; anything else is an error.
 * `KD_WASM_THREADS=1` turns threads off.
 *
 * Unset means one per core on the pure wasm path: measured on 2 cores (bench runs at 1 and 2
 * threads, 2026-11-24), two threads train the notebook-01 teacher 1.35× and notebook 04's
 * DeepNN 1.75× as fast as one; the tiny MLPs of notebooks 03 and 05, whose steps are mostly
 * thread-pool dispatch, run 1.25–2× slower — seconds per epoch either way.
 * Beside the native layer (`nativeLayer`) it means one: oneDNN then runs every large op on
 * every core, and a second wasm thread only wakes for the small ops left to wasm, where it
 * competes with oneDNN's OpenMP threads for the cores (a [100,10] − [100,1] Sub took 0.65 ms
 * with the pool and 0.02 without). Measured 2026-12-05 on 2 cores (AMD EPYC, family 26),
 * five alternating runs of 60 steps each, median: the teacher trained at 4,420 img/s with one
 * wasm thread and 4,080 with two, LightNN at 8,695 and 7,380.
 */
export function parseWasmThreads(
  value: string | undefined,
  cores: number = navigator.hardwareConcurrency ?? 1,
  nativeLayer = false,
): WasmThreadsRequest {
  if (value === "cores") {
    return { threads: Math.max(1, Math.min(cores, MAX_WASM_THREADS)), source: "cores" };
  }
  if (value !== undefined) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(
        `${WASM_THREADS_ENV}="${value}" is not a positive integer or "cores"; ` +
          `use 1 to turn threads off, or unset it for one per core`,
      );
    }
    return { threads: Math.min(n, MAX_WASM_THREADS), source: `${WASM_THREADS_ENV}=${n}` };
  }
  if (nativeLayer) return { threads: 1, source: "default beside the native layer: one" };
  return {
    threads: Math.max(1, Math.min(cores, MAX_WASM_THREADS)),
    source: "default: one per core",
  };
}

/**
 * Why threads cannot work in this runtime, or undefined when they can: the
 * checks tfjs's `WASM_HAS_MULTITHREAD_SUPPORT` makes outside Node, plus SIMD
 * (tfjs only ships the threaded build with SIMD).
 */
export function wasmThreadsUnsupportedReason(): string | undefined {
  if (typeof SharedArrayBuffer === "undefined") return "no SharedArrayBuffer";
  if (typeof Atomics === "undefined") return "no Atomics";
  try {
    new MessageChannel().port1.postMessage(new SharedArrayBuffer(1));
  } catch (e) {
    return `SharedArrayBuffer cannot be posted (${message(e)})`;
  }
  // From tfjs-backend-wasm's flags_wasm.ts (wasm-feature-detect): an atomic op on shared memory.
  const threads = new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    4,
    1,
    96,
    0,
    0,
    3,
    2,
    1,
    0,
    5,
    4,
    1,
    3,
    1,
    1,
    10,
    11,
    1,
    9,
    0,
    65,
    0,
    254,
    16,
    2,
    0,
    26,
    11,
  ]);
  if (!WebAssembly.validate(threads)) return "WebAssembly threads are not supported";
  const simd = new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    1,
    4,
    1,
    96,
    0,
    0,
    3,
    2,
    1,
    0,
    10,
    9,
    1,
    7,
    0,
    65,
    0,
    253,
    15,
    26,
    11,
  ]);
  if (!WebAssembly.validate(simd)) return "no WebAssembly SIMD (tfjs threads need it)";
  return undefined;
}
