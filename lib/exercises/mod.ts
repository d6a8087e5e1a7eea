/**
 * Self-checking exercises: one check per exercise, taking the learner's answer
 * and returning a verdict that shows in the notebook (✓, or ✗ with a hint).
 * A wrong answer never throws — a learner function that throws, returns NaN
 * or the wrong shape is a fail with a hint; a misused check (missing sweep
 * data, a dataset of the wrong kind, bad options) throws.
 */
export * from "./ids.ts";
export * from "./result.ts";
export { type FunctionCheckOptions } from "./util.ts";
export * from "./notebook01.ts";
export * from "./notebook02.ts";
export * from "./notebook03.ts";
export * from "./notebook04.ts";
export * from "./notebook05.ts";
export * from "./solutions.ts";
export * from "./skeletons.ts";
