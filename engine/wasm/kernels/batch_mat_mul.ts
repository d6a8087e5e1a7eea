/**
 * BatchMatMul for the wasm backend. The stock kernel is fast (XNNPACK) only
 * without transposes; dense-layer gradients ask for `aᵀ·dy` and `dy·bᵀ`, which
 * took 50–60 ms instead of ~6 ms. Transposing the operand first with the
 * Transpose kernel and multiplying untransposed is much cheaper.
 *
 * XNNPACK also repacks its second operand on every call whose operand is new
 * (every training step), so when that operand is the big one — a dense
 * layer's input gradient `dy·Wᵀ` with a 1568×300 W — the product is computed
 * transposed instead, `(W·dyᵀ)ᵀ`, packing the small `dyᵀ`: 5.3 → 2.7 ms for
 * the notebook-01 teacher. Each element is the same dot product in the same order,
 * so results are bit-identical (tested).
 */
import * as tf from "@tensorflow/tfjs";
import { runWasmKernel } from "./conv2d_backprop_filter.ts";
import { single } from "./wasm_heap.ts";
import { trace } from "../../trace.ts";

/**
 * Whether `(op(b)ᵀ·op(a)ᵀ)ᵀ` moves fewer elements than `op(a)·op(b)` for
 * op(a) M×K and op(b) K×N with one batch: the packed second operand plus the
 * transposes each way needs.
 */
export function swapPays(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): boolean {
  const direct = k * n + (transposeB ? k * n : 0) + (transposeA ? m * k : 0);
  const swapped = m * k + (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * n;
  return swapped < direct;
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
      trace("BatchMatMul", "direct");
      return stock(args);
    }
    trace("BatchMatMul", "transposedFirst");
    const backend = args.backend as tf.KernelBackend;
    const temps: tf.TensorInfo[] = [];
    const ra = a.shape.length, rb = b.shape.length;
    const m = a.shape[transposeA ? ra - 1 : ra - 2];
    const k = a.shape[transposeA ? ra - 2 : ra - 1];
    const n = b.shape[transposeB ? rb - 2 : rb - 1];
    const oneBatch = tf.util.sizeFromShape(a.shape) === m * k &&
      tf.util.sizeFromShape(b.shape) === k * n;
    try {
      if (oneBatch && swapPays(m, k, n, transposeA, transposeB)) {
        trace("BatchMatMul", "swapped");
        // op(b)ᵀ is b itself when b was to be transposed, and likewise for a.
        const first = transposeB ? b : transposeLast2(b, backend);
        if (!transposeB) temps.push(first);
        const second = transposeA ? a : transposeLast2(a, backend);
        if (!transposeA) temps.push(second);
        const product = single(stock({
          inputs: { a: first, b: second },
          backend,
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        }));
        temps.push(product);
        // One batch: every leading axis is 1, so the shape is the direct product's.
        return transposeLast2(product, backend);
      }
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
