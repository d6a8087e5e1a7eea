/**
 * Mean for the wasm backend. Like Sum, the stock kernel transposes before
 * reducing non-innermost axes; batch-norm's moments take the mean over [N,H,W]
 * twice per layer and step. The same in-place block reduction as our Sum,
 * divided by the count once at the end.
 */
import type * as tf from "@tensorflow/tfjs";
import { blockReduction } from "./sum.ts";

/** Builds the kernel function around the stock wasm Mean (innermost axes, other dtypes). */
export function createMeanWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return blockReduction(stock, true);
}
