/**
 * The pthread worker of tfjs-backend-wasm's threaded SIMD build, for Deno.
 * A port of Emscripten's worker script (the Node branch of the
 * `wasmWorkerContents` string shipped in tfjs-backend-wasm 4.22) that loads
 * the Emscripten module factory from the package's own file instead of the
 * Blob the main thread sends (Deno's node:worker_threads runs files only).
 * Started by engine/wasm/threads.ts; not meant to be imported.
 */
import { parentPort } from "node:worker_threads";
// CommonJS: module.exports is the Emscripten factory.
import factory from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";

type Message = Record<string, unknown>;
// deno-lint-ignore no-explicit-any
type EmModule = Record<string, any>;
/** Runs the Emscripten module on this thread (in pthread mode: Module.ENVIRONMENT_IS_PTHREAD). */
const createModule = factory as unknown as (m: EmModule) => Promise<EmModule>;

const port = parentPort;
if (port === null) throw new Error("threads_worker.ts must run in a worker thread");

const g = globalThis as unknown as Record<string, unknown>;
let Module: EmModule = {};
let initializedJS = false;
let pendingQueues: unknown[] = [];

function post(msg: Message, transfer?: unknown[]): void {
  // deno-lint-ignore no-explicit-any
  port!.postMessage(msg, transfer as any);
}

// The factory calls these as globals.
g.postMessage = post;
g.startWorker = (instance: EmModule) => {
  Module = instance;
  post({ cmd: "loaded" });
};

Module.instantiateWasm = (
  info: WebAssembly.Imports,
  receiveInstance: (i: WebAssembly.Instance) => void,
) => {
  const instance = new WebAssembly.Instance(Module.wasmModule as WebAssembly.Module, info);
  receiveInstance(instance);
  Module.wasmModule = null;
  return instance.exports;
};

function onMessage(data: Message): void {
  try {
    if (data.cmd === "load") {
      Module.wasmModule = data.wasmModule;
      for (const handler of data.handlers as string[]) {
        Module[handler] = (...args: unknown[]) => post({ cmd: "callHandler", handler, args });
      }
      Module.wasmMemory = data.wasmMemory;
      Module.buffer = (data.wasmMemory as WebAssembly.Memory).buffer;
      Module.ENVIRONMENT_IS_PTHREAD = true;
      void createModule(Module);
    } else if (data.cmd === "run") {
      Module.__emscripten_thread_init(data.pthread_ptr, 0, 0, 1);
      Module.establishStackSpace();
      Module.PThread.receiveObjectTransfer(data);
      Module.PThread.threadInitTLS();
      if (!initializedJS) {
        for (const q of pendingQueues) Module.executeNotifiedProxyingQueue(q);
        pendingQueues = [];
        initializedJS = true;
      }
      try {
        Module.invokeEntryPoint(data.start_routine, data.arg);
      } catch (ex) {
        if (ex !== "unwind") {
          if (ex instanceof Module.ExitStatus) {
            if (!Module.keepRuntimeAlive()) {
              Module.__emscripten_thread_exit((ex as { status: number }).status);
            }
          } else {
            throw ex;
          }
        }
      }
    } else if (data.cmd === "kd-ping") {
      // engine/wasm/threads.ts checks that the worker started and has the factory.
      const ok = typeof createModule === "function";
      post({ cmd: "kd-pong", ok, error: ok ? undefined : "no Emscripten factory" });
    } else if (data.cmd === "cancel") {
      if (Module._pthread_self()) Module.__emscripten_thread_exit(-1);
    } else if (data.target === "setimmediate") {
      // nothing to do
    } else if (data.cmd === "processProxyingQueue") {
      if (initializedJS) Module.executeNotifiedProxyingQueue(data.queue);
      else pendingQueues.push(data.queue);
    } else if (data.cmd) {
      console.error(`wasm pthread worker: unknown command ${String(data.cmd)}`);
    }
  } catch (ex) {
    Module.__emscripten_thread_crashed?.();
    throw ex;
  }
}

port.on("message", onMessage);
