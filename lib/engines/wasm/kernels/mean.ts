/**
 * Mean for the wasm backend. Like Sum, the stock kernel transposes before
 * reducing non-innermost axes; batch-norm's moments take the mean over [N,H,W]
 * twice per layer and step. The same in-place block reduction as our Sum,
 * divided by the count once at the end.
 */
import * as tf from "@tensorflow/tfjs";
import { blockReduction } from "./sum.ts";

const counts = { fast: 0, fallback: 0, simd: 0 };

/** How often each path ran since start-up (`simd`: of the fast ones, as wasm SIMD sums). */
export function meanCounts(): { fast: number; fallback: number; simd: number } {
  return { ...counts };
}

/** Builds the kernel function around the stock wasm Mean (innermost axes, other dtypes). */
export function createMeanWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return blockReduction(stock, counts, true);
}
