/**
 * Adam steps for the wasm backend, each variable's in a single pass over its
 * elements and all of them in one kernel call. Stock tfjs runs Adam as about
 * twelve tensor operations per variable — each a kernel call with its own
 * allocation and memory pass — which cost the notebook-01 teacher ~200 kernel
 * calls per training step. Each
 * intermediate here is rounded to float32 (`Math.fround`) in the stock order, so
 * the result is bit-identical to the stock chain: float64 arithmetic rounded to
 * float32 gives the correctly rounded float32 result for +, −, ×, ÷ and √.
 * On the heap the same chain runs as wasm SIMD float32 arithmetic, four
 * elements at a time (simd/kernels_wat.ts), with the same results.
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_INPUTS, ADAM_UPDATE, type AdamScalars } from "../../ops/adam_step.ts";
import { trace } from "../../trace.ts";
import { simdKernelsFor } from "./simd/instance.ts";
import { f32, type HeapKernelArgs, requireHeapBackend } from "./wasm_heap.ts";

/** Writes the updated value and moments; inputs are left untouched. Exported for tests. */
export function adamUpdateInto(
  value: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  out: { value: Float32Array; m: Float32Array; v: Float32Array },
  s: AdamScalars,
): void {
  const f = Math.fround;
  // The stock chain multiplies by scalar tensors, which are float32.
  const b1 = f(s.beta1), omb1 = f(1 - s.beta1);
  const b2 = f(s.beta2), omb2 = f(1 - s.beta2);
  const c1 = f(s.correction1), c2 = f(s.correction2);
  const eps = f(s.epsilon), negLr = f(-s.learningRate);
  for (let i = 0; i < value.length; i++) {
    const gi = g[i];
    const m1 = f(f(m[i] * b1) + f(gi * omb1));
    const v1 = f(f(v[i] * b2) + f(f(gi * gi) * omb2));
    const denom = f(f(Math.sqrt(f(v1 / c2))) + eps);
    out.m[i] = m1;
    out.v[i] = v1;
    out.value[i] = f(f(f(f(m1 / c1) / denom) * negLr) + value[i]);
  }
}

function adamUpdateWasm(args: HeapKernelArgs): tf.TensorInfo[] {
  const backend = requireHeapBackend(args, ADAM_UPDATE);
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const count = Object.keys(inputs).length / ADAM_INPUTS.length;
  const groups = Array.from({ length: count }, (_, i) =>
    ADAM_INPUTS.map((name) => {
      const t = inputs[`${name}${i}`];
      if (t === undefined) {
        throw new Error(
          `${ADAM_UPDATE}: input ${name}${i} is missing (inputs: ${Object.keys(inputs)})`,
        );
      }
      return t;
    }));
  const outs = groups.flatMap(([value, m, v]) =>
    [value, m, v].map((t) => backend.makeOutput(t.shape, "float32"))
  );
  const s = args.attrs as unknown as AdamScalars;
  const simd = simdKernelsFor(backend);
  trace(ADAM_UPDATE, simd === undefined ? "js" : "simd");
  groups.forEach((group, i) => {
    // Views after every makeOutput: an allocation may have grown (moved) the heap.
    const ins = group.map((t) => f32(backend, t));
    const res = outs.slice(3 * i, 3 * i + 3).map((t) => f32(backend, t));
    if (simd === undefined) {
      adamUpdateInto(ins[0], ins[1], ins[2], ins[3], { value: res[0], m: res[1], v: res[2] }, s);
      return;
    }
    // f32 parameters round each scalar as Math.fround does in adamUpdateInto.
    simd.adam(
      ins[0].byteOffset,
      ins[1].byteOffset,
      ins[2].byteOffset,
      ins[3].byteOffset,
      res[0].byteOffset,
      res[1].byteOffset,
      res[2].byteOffset,
      ins[0].length,
      s.beta1,
      1 - s.beta1,
      s.beta2,
      1 - s.beta2,
      s.correction1,
      s.correction2,
      s.epsilon,
      -s.learningRate,
    );
  });
  return outs;
}

/** Registers the kernel for wasm (idempotent). */
export function registerAdamUpdateWasm(): void {
  if (tf.getKernel(ADAM_UPDATE, "wasm") !== undefined) return;
  tf.registerKernel({
    kernelName: ADAM_UPDATE,
    backendName: "wasm",
    kernelFunc: adamUpdateWasm as unknown as tf.KernelFunc,
  });
}
