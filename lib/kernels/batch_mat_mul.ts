/**
 * BatchMatMul for the wasm backend. The stock kernel is fast (XNNPACK) only
 * without transposes; dense-layer gradients ask for `aᵀ·dy` and `dy·bᵀ`, which
 * took 50–60 ms instead of ~6 ms. Transposing the operand first with the
 * Transpose kernel and multiplying untransposed is much cheaper.
 */
import * as tf from "@tensorflow/tfjs";
import { runWasmKernel } from "./conv2d_backprop_filter.ts";
import { single } from "./wasm_heap.ts";

const counts = { transposedFirst: 0, direct: 0 };

/** How often operands were transposed first vs passed straight through. */
export function batchMatMulCounts(): { transposedFirst: number; direct: number } {
  return { ...counts };
}

/** Swaps the last two axes. */
function transposeLast2(
  x: tf.TensorInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return runWasmKernel("Transpose", { x }, backend, { perm });
}

/** Builds the kernel function around the stock wasm BatchMatMul. */
export function createBatchMatMulWasm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const applies = (transposeA || transposeB) && a.dtype === "float32" &&
      b.dtype === "float32" && a.shape.length >= 2 && b.shape.length >= 2 &&
      tf.util.sizeFromShape(a.shape) > 0 && tf.util.sizeFromShape(b.shape) > 0;
    if (!applies) {
      counts.direct++;
      return stock(args);
    }
    counts.transposedFirst++;
    const backend = args.backend as tf.KernelBackend;
    const temps: tf.TensorInfo[] = [];
    try {
      const a2 = transposeA ? transposeLast2(a, backend) : a;
      if (transposeA) temps.push(a2);
      const b2 = transposeB ? transposeLast2(b, backend) : b;
      if (transposeB) temps.push(b2);
      return single(stock({
        inputs: { a: a2, b: b2 },
        backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      }));
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}
