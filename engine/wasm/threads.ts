/**
 * Runs tfjs-backend-wasm's threaded SIMD build under Deno, so that XNNPACK
 * spreads convolutions over several cores.
 *
 * Out of the box tfjs 4.22 keeps Deno single-threaded, for three reasons, each
 * of which this module works around for the duration of the backend's start:
 *
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` is false whenever tfjs sees Node
 *    (`IS_NODE`, true under Deno): we set the flag to true ourselves after
 *    checking what it would check (shared memory, wasm atomics).
 * 2. Emscripten creates its pthread workers with `new Worker(url)` where `url`
 *    is a `blob:` URL of tfjs's worker script, using node:worker_threads'
 *    `Worker`, which rejects blob URLs (`ERR_WORKER_PATH`); its worker script
 *    would then `importScripts` the main script from a Blob too. We give
 *    Emscripten a `Worker` that runs threads_worker.ts instead, a port
 *    of that script that loads the Emscripten factory from the package's file.
 *    Emscripten assigns the global `Worker` while it starts; a getter/setter
 *    pair on `globalThis.Worker` serves ours and keeps Deno's own intact.
 * 3. The C side caps the thread pool at `emscripten_num_logical_cores() / 2`
 *    (it assumes two hyper-threads per core), which is `os.cpus().length / 2`
 *    under Node: one thread on a 2-core machine. While the module starts,
 *    `os.cpus()` reports at least two entries per requested thread.
 *
 * Emscripten preallocates a pool of 8 pthread workers and waits for all of them
 * to load; each would be a V8 isolate (~15 MB, ~0.15 s to start). Our workers
 * are lazy: they answer "loaded" at once and start a real worker thread only
 * when Emscripten first runs a pthread on them, so only the `threads - 1`
 * workers XNNPACK's pool uses ever exist.
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { EventEmitter } from "node:events";
import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import { MAX_WASM_THREADS, wasmThreadsUnsupportedReason } from "./threads_request.ts";

const WORKER_URL = new URL("./threads_worker.ts", import.meta.url);

type Message = { cmd?: unknown } & Record<string, unknown>;

/** Pthread workers started ahead (and checked), handed to the first pthreads. */
const spares: NodeWorker[] = [];
/** Every pthread worker thread started, to end them if the backend fails to start. */
const started = new Set<NodeWorker>();

function newWorkerThread(): NodeWorker {
  const w = new NodeWorker(WORKER_URL);
  started.add(w);
  w.on("exit", () => started.delete(w));
  // Helpers of a main thread that always waits for them: never keep the process alive.
  w.unref();
  return w;
}

/** Starts a worker thread and waits until it has loaded the Emscripten factory. */
function startCheckedWorker(timeoutMs: number): Promise<NodeWorker> {
  const w = newWorkerThread();
  return new Promise<NodeWorker>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data: Message) => {
      if (data?.cmd !== "kd-pong") return;
      done(data.ok === true ? undefined : new Error(String(data.error)));
    };
    const onError = (e: unknown) => done(e instanceof Error ? e : new Error(String(e)));
    const onExit = (code: number) => done(new Error(`exited with code ${code}`));
    function done(error: Error | undefined) {
      clearTimeout(timer);
      w.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (error === undefined) resolve(w);
      else {
        void w.terminate();
        reject(new Error(`the wasm pthread worker failed to start: ${error.message}`));
      }
    }
    w.on("message", onMessage).on("error", onError).on("exit", onExit);
    w.postMessage({ cmd: "kd-ping" });
  });
}

/**
 * The `Worker` Emscripten's main thread creates its pthread workers with: the
 * node:worker_threads interface it uses (postMessage, on, ref, unref,
 * terminate), backed by a worker thread only once a pthread runs on it.
 */
class LazyPthreadWorker extends EventEmitter {
  #real: NodeWorker | undefined;
  #load: Message | undefined;
  #swallowLoaded = false;

  constructor(url: string | URL) {
    super();
    // tfjs made a blob: URL of its worker script for us; we run our own file.
    if (typeof url === "string" && url.startsWith("blob:")) URL.revokeObjectURL(url);
  }

  postMessage(message: Message, transfer?: readonly unknown[]): void {
    if (this.#real === undefined && message?.cmd === "load") {
      // Hold the module and memory until a pthread runs here; say "loaded" now.
      this.#load = message;
      setTimeout(() => this.emit("message", { cmd: "loaded" }), 0);
      return;
    }
    const real = this.#start();
    // deno-lint-ignore no-explicit-any
    real.postMessage(message, transfer as any);
  }

  #start(): NodeWorker {
    if (this.#real !== undefined) return this.#real;
    const real = spares.pop() ?? newWorkerThread();
    real.on("message", (data: Message) => {
      if (this.#swallowLoaded && data?.cmd === "loaded") {
        this.#swallowLoaded = false; // already announced by us
        return;
      }
      this.emit("message", data);
    });
    real.on("error", (e: unknown) => this.emit("error", e));
    this.#real = real;
    if (this.#load !== undefined) {
      // The worker handles messages in order and "load" synchronously, so the
      // pthread can follow without waiting for its "loaded" (the main thread
      // may be blocked waiting for the pthread to start).
      this.#swallowLoaded = true;
      real.postMessage(this.#load);
      this.#load = undefined;
    }
    return real;
  }

  /** Emscripten refs a worker while a pthread runs; ours never hold the process open. */
  ref(): void {}

  unref(): void {}

  terminate(): Promise<number> {
    const real = this.#real;
    this.#real = undefined;
    this.#load = undefined;
    if (real === undefined) return Promise.resolve(0);
    started.delete(real);
    return real.terminate();
  }
}

/** What `prepareWasmThreads` changed, to undo once the backend has started. */
export interface WasmThreadsSession {
  /** Undoes the temporary patches (Worker, os.cpus); the thread settings stay. */
  restore(): void;
  /** After a failed start: undoes everything, ends the worker threads, turns threads off. */
  abandon(): Promise<void>;
}

/**
 * Makes the next first start of the wasm backend (`tf.setBackend("wasm")`) use
 * the threaded SIMD build with `threads` threads. Starts and checks the
 * `threads - 1` worker threads XNNPACK will use first, so that a broken worker
 * fails here rather than hanging the start. Call `restore()` as soon as that
 * start has settled, and `abandon()` if it failed, before retrying.
 * Rejects if this runtime cannot run wasm threads or a worker fails to start.
 */
export async function prepareWasmThreads(
  threads: number,
  timeoutMs = 30_000,
): Promise<WasmThreadsSession> {
  const unsupported = wasmThreadsUnsupportedReason();
  if (unsupported !== undefined) throw new Error(unsupported);
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS) {
    throw new Error(`threads must be an integer in 2..${MAX_WASM_THREADS}, got ${threads}`);
  }
  const checked = await Promise.allSettled(
    Array.from({ length: threads - 1 }, () => startCheckedWorker(timeoutMs)),
  );
  const failure = checked.find((r) => r.status === "rejected");
  if (failure !== undefined) {
    await endAllWorkers();
    throw (failure as PromiseRejectedResult).reason;
  }
  for (const r of checked) spares.push((r as PromiseFulfilledResult<NodeWorker>).value);

  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);

  const workerDescriptor = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    enumerable: false,
    get: () => LazyPthreadWorker,
    set: () => {}, // Emscripten's `global.Worker = worker_threads.Worker`
  });

  const osModule = os as { cpus: typeof os.cpus };
  const realCpus = osModule.cpus;
  osModule.cpus = () => {
    const cpus = realCpus();
    const want = 2 * threads;
    return cpus.length >= want || cpus.length === 0
      ? cpus
      : Array.from({ length: want }, (_, i) => cpus[i % cpus.length]);
  };

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    osModule.cpus = realCpus;
    if (workerDescriptor !== undefined) {
      Object.defineProperty(globalThis, "Worker", workerDescriptor);
    } else {
      delete (globalThis as { Worker?: unknown }).Worker;
    }
  };
  return {
    restore,
    async abandon() {
      restore();
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      setThreadsCount(1);
      await endAllWorkers();
    },
  };
}

async function endAllWorkers(): Promise<void> {
  const all = [...started, ...spares];
  spares.length = 0;
  started.clear();
  await Promise.allSettled(all.map((w) => w.terminate()));
}
