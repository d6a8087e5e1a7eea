/**
 * The library's door to the engine's backend-neutral ops (`@kd/engine/ops`), which the models and
 * the optimizer call. Separate from lib/backend.ts so that building a model loads no engine: the
 * ops alone register none, and tfjs keeps its default backend until `ensureBackend` chooses one.
 */
export {
  type AdamScalars,
  adamStep,
  batchNormTrain,
  conv2dBias,
  hasFusedAdamStep,
} from "@kd/engine/ops";
