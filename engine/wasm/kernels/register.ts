/**
 * Installs the kernels that let the wasm backend train CNNs, and train them
 * fast. Importing this module loads the wasm backend's stock kernels first, so
 * that each stock kernel can be kept as the fallback of its replacement.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerAdamUpdateWasm } from "./adam_update.ts";
import { createBatchMatMulWasm } from "./batch_mat_mul.ts";
import { registerBatchNormWasm } from "./batch_norm.ts";
import { createCastWasm } from "./cast.ts";
import { conv2dBackpropFilterWasm } from "./conv2d_backprop_filter.ts";
import { createConv2dWasm } from "./conv2d_single_output.ts";
import { createConv2dBackpropInputWasm } from "./conv2d_backprop_input.ts";
import { createIdentityWasm } from "./identity.ts";
import { createMaxPoolGradWasm } from "./max_pool_grad.ts";
import { createMeanWasm } from "./mean.ts";
import { registerMovingAverageWasm } from "./moving_average.ts";
import { createSumWasm } from "./sum.ts";
import { createTileWasm } from "./tile.ts";
import { createTransposeWasm } from "./transpose.ts";

const BACKEND = "wasm";

/** The stock kernels we replace for speed only (each falls back to the stock one). */
export const WASM_SPEED_KERNELS = [
  "Tile",
  "BatchMatMul",
  "Sum",
  "Mean",
  "MaxPoolGrad",
  "Identity",
  "Cast",
  "Conv2D",
  "Transpose",
] as const;

/** One of the speed replacements. */
export type WasmSpeedKernel = typeof WASM_SPEED_KERNELS[number];

const FACTORIES: Record<WasmSpeedKernel, (stock: tf.KernelFunc) => tf.KernelFunc> = {
  Tile: createTileWasm,
  BatchMatMul: createBatchMatMulWasm,
  Sum: createSumWasm,
  Mean: createMeanWasm,
  MaxPoolGrad: createMaxPoolGradWasm,
  Identity: createIdentityWasm,
  Cast: createCastWasm,
  Conv2D: createConv2dWasm,
  Transpose: createTransposeWasm,
};

/** Ours, once built; the stock config is captured only on the first call. */
let inputGradConfig: tf.KernelConfig | undefined;
const filterGradConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: BACKEND,
  kernelFunc: conv2dBackpropFilterWasm,
};
/** Per speed kernel: the stock config and ours, captured/built once. */
let speedConfigs:
  | Map<WasmSpeedKernel, { stock: tf.KernelConfig; ours: tf.KernelConfig }>
  | undefined;

function install(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, BACKEND);
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current !== undefined) tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel(config);
}

/** Wraps a stock kernel, keeping its setup (it binds the wasm export on backend init). */
function wrapStock(
  name: string,
  build: (stock: tf.KernelFunc) => tf.KernelFunc,
): { stock: tf.KernelConfig; ours: tf.KernelConfig } {
  const stock = tf.getKernel(name, BACKEND);
  if (stock === undefined) throw new Error(`the wasm backend has no ${name} kernel to wrap`);
  return {
    stock,
    ours: {
      kernelName: name,
      backendName: BACKEND,
      kernelFunc: build(stock.kernelFunc),
      setupFunc: stock.setupFunc,
      disposeFunc: stock.disposeFunc,
    },
  };
}

function speed(): Map<WasmSpeedKernel, { stock: tf.KernelConfig; ours: tf.KernelConfig }> {
  if (speedConfigs === undefined) {
    speedConfigs = new Map(WASM_SPEED_KERNELS.map((n) => [n, wrapStock(n, FACTORIES[n])]));
  }
  return speedConfigs;
}

/**
 * Makes the wasm backend able to train convolutions, and fast at it: registers
 * Conv2DBackpropFilter (missing in stock wasm), replaces Conv2DBackpropInput
 * with a faster version, and installs the speed replacements listed in
 * `WASM_SPEED_KERNELS`. Idempotent: later calls change nothing. Works before or
 * after the wasm backend is initialised. Returns the names of the gradient
 * kernels this module serves for wasm (the same list on every call; the speed
 * replacements are `WASM_SPEED_KERNELS`).
 */
export function registerWasmTrainingKernels(): string[] {
  if (inputGradConfig === undefined) {
    inputGradConfig = wrapStock("Conv2DBackpropInput", createConv2dBackpropInputWasm).ours;
  }
  install(filterGradConfig);
  install(inputGradConfig);
  for (const { ours } of speed().values()) install(ours);
  registerAdamUpdateWasm();
  registerBatchNormWasm();
  registerMovingAverageWasm();
  return [filterGradConfig.kernelName, inputGradConfig.kernelName];
}

/**
 * Serves exactly `enabled` of the speed replacements and the stock kernels for
 * the rest, to measure or test each replacement alone. The conv-gradient
 * kernels stay. `registerWasmTrainingKernels()` turns all of them on again.
 */
export function setWasmSpeedKernels(enabled: readonly WasmSpeedKernel[]): void {
  registerWasmTrainingKernels();
  for (const [name, { stock, ours }] of speed()) {
    install(enabled.includes(name) ? ours : stock);
  }
}
