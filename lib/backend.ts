/**
 * The library's door to the engine package (`@kd/engine`, engine/ in this repository): choosing
 * and starting a TensorFlow.js engine, and the backend line every notebook prints. Two lighter
 * doors load no engine: lib/ops.ts (the backend-neutral ops the models and the optimizer call)
 * and lib/settings.ts (the engine's settings in the one table). No other file of lib/ imports the
 * engine (test/module_graph_test.ts checks it).
 */
export {
  BACKEND_NAMES,
  type BackendChoice,
  backendLabel,
  type BackendName,
  describeBackend,
  ensureBackend,
  findInstalledTfjsNode,
  type InstalledTfjsNode,
  parseBackendName,
  selectBackend,
  type SelectBackendOptions,
} from "@kd/engine";
