/**
 * The library's one door to the engine package (`@kd/engine`, engine/ in this repository):
 * choosing and starting a TensorFlow.js engine, the backend line every notebook prints, the
 * backend-neutral ops the models and the optimizer call, and the engine's settings for the one
 * settings table. Importing it starts nothing: the engine loads the wasm engine (which registers
 * its tfjs backend) only when `selectBackend` or `ensureBackend` chooses one. No other file of
 * lib/ imports the engine (test/module_graph_test.ts checks it).
 */
export {
  type AdamScalars,
  adamSteps,
  type AdamTensors,
  BACKEND_NAMES,
  type BackendChoice,
  backendLabel,
  type BackendName,
  batchNormTrain,
  conv2dBias,
  describeBackend,
  ENGINE_SETTINGS,
  ensureBackend,
  findInstalledTfjsNode,
  hasFusedAdamStep,
  type InstalledTfjsNode,
  movingAverages,
  parseBackendName,
  selectBackend,
  type SelectBackendOptions,
  type Setting,
  withoutTape,
} from "@kd/engine";
