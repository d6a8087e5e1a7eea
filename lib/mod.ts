/**
 * The library every lesson notebook imports: backend selection, data, models,
 * distillation losses and the training loop, evaluation, saving, charts and
 * notebook display helpers.
 */
export * as tf from "@tensorflow/tfjs";
export * from "./backend.ts";
export * from "./random.ts";
export * from "./stats.ts";
export * from "./data/mod.ts";
export * from "./models/mod.ts";
export * from "./distill/losses.ts";
export * from "./distill/terms.ts";
export * from "./distill/outputs.ts";
export * from "./distill/fit.ts";
export * from "./distill/evaluate.ts";
export * from "./io/model_dir.ts";
export * from "./io/teacher.ts";
export * from "./charts/mod.ts";
export * from "./notebook/display.ts";
export * from "./notebook/profile.ts";
export * from "./notebook/lesson.ts";
export * from "./notebook/teacher_card.ts";
export * from "./exercises/mod.ts";
