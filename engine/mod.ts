/**
 * @kd/engine: the TensorFlow.js engines the distillation library trains on. Its surface is small:
 * choose and start an engine (the wasm engine with this package's kernels and, where oneDNN is
 * found and proved, the native layer under it), describe it in one line, the backend-neutral ops
 * that run as one fused kernel where the engine has one, the settings it reads, and the trace of
 * which kernel paths ran. Importing it starts nothing and registers no tfjs backend: the wasm
 * engine is loaded by the first selection (wasm/load.ts).
 */
export {
  BACKEND_NAMES,
  type BackendChoice,
  backendLabel,
  describeBackend,
  ensureBackend,
  parseBackendName,
  selectBackend,
  type SelectBackendOptions,
} from "./select.ts";
export type { BackendName } from "./engine.ts";
// The wasm engine itself is loaded by the first selection (wasm/load.ts), not by this import.
export type { NativeLayerInfo } from "./wasm/engine.ts";
export { nativeLayerInfo, withoutNativeKernels } from "./wasm/load.ts";
// Whether oneDNN loads, without starting an engine: the lessons' setup asks before any run.
export { loadOneDnn, type LoadResult, nativeRequestFromEnv } from "./wasm/native/loader.ts";
export { MAX_WASM_THREADS, wasmThreadsUnsupportedReason } from "./wasm/threads_request.ts";
export { findInstalledTfjsNode, type InstalledTfjsNode } from "./tensorflow.ts";
export * from "./ops/mod.ts";
export { type TraceCounts, traceOf, traceSince, traceSnapshot } from "./trace.ts";
export { KernelTimer } from "./kernel_timer.ts";
export { ENGINE_SETTINGS, type EngineSettingName, type Setting } from "./settings.ts";
