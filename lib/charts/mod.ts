/**
 * Charts for the distillation notebooks: vega-lite v5 spec builders (pure data, easy to test),
 * their text renderings, and offline SVG/PNG rendering. Display in Jupyter lives in
 * `lib/notebook/display.ts`.
 */
export * from "./spec.ts";
export * from "./history.ts";
export * from "./bar.ts";
export * from "./heatmap.ts";
export * from "./temperature.ts";
export * from "./confusion.ts";
export * from "./runtime_cost.ts";
export * from "./text.ts";
export * from "./render.ts";
export * from "./scatter.ts";
