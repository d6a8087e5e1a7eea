/**
 * Installs the conv-gradient kernels that let the wasm backend train CNNs.
 * Importing this module loads the wasm backend's stock kernels first, so that
 * the stock Conv2DBackpropInput can be kept as the fallback for strided convs.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { conv2dBackpropFilterWasm } from "./conv2d_backprop_filter.ts";
import { createConv2dBackpropInputWasm } from "./conv2d_backprop_input.ts";

const BACKEND = "wasm";

/** Ours, once built; the stock config is captured only on the first call. */
let inputGradConfig: tf.KernelConfig | undefined;
const filterGradConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: BACKEND,
  kernelFunc: conv2dBackpropFilterWasm,
};

function install(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, BACKEND);
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current !== undefined) tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel(config);
}

/**
 * Makes the wasm backend able to train convolutions: registers
 * Conv2DBackpropFilter (missing in stock wasm) and replaces Conv2DBackpropInput
 * with a faster version. Idempotent: later calls change nothing. Works before or
 * after the wasm backend is initialised. Returns the names of the kernels that
 * this module now serves for wasm (the same list on every call).
 */
export function registerWasmTrainingKernels(): string[] {
  if (inputGradConfig === undefined) {
    const stock = tf.getKernel("Conv2DBackpropInput", BACKEND);
    if (stock === undefined) {
      throw new Error("the wasm backend has no Conv2DBackpropInput kernel to wrap");
    }
    inputGradConfig = {
      kernelName: "Conv2DBackpropInput",
      backendName: BACKEND,
      kernelFunc: createConv2dBackpropInputWasm(stock.kernelFunc),
      // The stock kernel binds its wasm export in setup; keep that happening
      // when the backend is (re)initialised after we replaced it.
      setupFunc: stock.setupFunc,
      disposeFunc: stock.disposeFunc,
    };
  }
  install(filterGradConfig);
  install(inputGradConfig);
  return [filterGradConfig.kernelName, inputGradConfig.kernelName];
}
