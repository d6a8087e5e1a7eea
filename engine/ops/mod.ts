/**
 * The backend-neutral ops: each runs as one fused kernel where the active engine registered one,
 * and as tfjs's stock ops elsewhere. They start and register no engine, so a model built from them
 * runs on whatever backend is active (tfjs's cpu when none was chosen), as a model built from
 * tfjs's own layers does.
 */
export { type AdamScalars, adamSteps, type AdamTensors, hasFusedAdamStep } from "./adam_step.ts";
export { batchNormTrain } from "./batch_norm_train.ts";
export { conv2dBias } from "./conv2d_bias.ts";
export { movingAverages } from "./moving_average.ts";
export { withoutTape } from "./without_tape.ts";
