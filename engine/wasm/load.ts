/**
 * The wasm engine, loaded when a backend is chosen rather than when the package is imported:
 * importing tfjs-backend-wasm registers the wasm backend above cpu, which would make it tfjs's
 * default before any engine was chosen (and a library that only builds models or reads settings
 * would load the wasm engine, its kernels and the native layer for nothing).
 */
import type { Engine } from "../engine.ts";
import type * as WasmEngineModule from "./engine.ts";
import type { NativeLayerInfo } from "./engine.ts";

let loaded: typeof WasmEngineModule | undefined;

/** Loads the wasm engine once (it registers the wasm backend with tfjs). */
export async function loadWasmEngine(): Promise<typeof WasmEngineModule> {
  loaded ??= await import("./engine.ts");
  return loaded;
}

/** The wasm engine behind the chooser's interface, loaded on its first start. */
export const lazyWasmEngine: Engine = {
  backend: "wasm",
  start: async () => await (await loadWasmEngine()).wasmEngine.start(),
  reactivate: async () => await (await loadWasmEngine()).wasmEngine.reactivate(),
  // Only a started engine has details; it is loaded by then.
  detail: () => loaded?.wasmEngine.detail() ?? "",
};

/** wasm/engine.ts's `nativeLayerInfo`; undefined before the wasm engine loads. */
export function nativeLayerInfo(): NativeLayerInfo | undefined {
  return loaded?.nativeLayerInfo();
}

/** wasm/engine.ts's `withoutNativeKernels`; before the wasm engine loads, just `fn`. */
export async function withoutNativeKernels<T>(fn: () => T | Promise<T>): Promise<T> {
  return loaded ? await loaded.withoutNativeKernels(fn) : await fn();
}
