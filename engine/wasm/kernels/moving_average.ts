/**
 * KdMovingAverage for the wasm backend (engine/ops/moving_average.ts): every pair in one call,
 * in JS on the heap. Each operation is rounded to float32 (`Math.fround`) in tfjs's order, and the
 * factor is the float32 scalar tfjs's mul would make of 1 − momentum, so the result equals the
 * wasm kernels' sub, mul and sub bit for bit (float64 arithmetic rounded to float32 is the
 * correctly rounded float32 result of one +, − or ×).
 */
import * as tf from "@tensorflow/tfjs";
import { MOVING_AVERAGE, type MovingAverageAttrs } from "../../ops/moving_average.ts";
import { trace } from "../../trace.ts";
import { f32, type HeapKernelArgs, requireHeapBackend } from "./wasm_heap.ts";

/** moving − (moving − batch)·(1 − momentum) into `out`, rounded as tfjs's three kernels round. */
export function movingAverageInto(
  moving: Float32Array,
  batch: Float32Array,
  momentum: number,
  out: Float32Array,
): void {
  const f = Math.fround;
  const factor = f(1 - momentum);
  for (let i = 0; i < moving.length; i++) {
    out[i] = f(moving[i] - f(f(moving[i] - batch[i]) * factor));
  }
}

function movingAverageWasm(args: HeapKernelArgs): tf.TensorInfo[] {
  const backend = requireHeapBackend(args, MOVING_AVERAGE);
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const count = Object.keys(inputs).length / 2;
  const pairs = Array.from({ length: count }, (_, i) => {
    const [moving, batch] = [inputs[`moving${i}`], inputs[`batch${i}`]];
    if (moving === undefined || batch === undefined || moving.shape.join() !== batch.shape.join()) {
      throw new Error(
        `${MOVING_AVERAGE}: pair ${i} needs moving${i} and batch${i} of one shape ` +
          `(inputs: ${Object.keys(inputs)})`,
      );
    }
    return [moving, batch];
  });
  const outs = pairs.map(([moving]) => backend.makeOutput(moving.shape, "float32"));
  const { momentum } = args.attrs as unknown as MovingAverageAttrs;
  trace(MOVING_AVERAGE, "js");
  // Views after every makeOutput: an allocation may have grown (moved) the heap.
  pairs.forEach(([moving, batch], i) =>
    movingAverageInto(f32(backend, moving), f32(backend, batch), momentum, f32(backend, outs[i]))
  );
  return outs;
}

/** Registers the kernel for wasm (idempotent). */
export function registerMovingAverageWasm(): void {
  if (tf.getKernel(MOVING_AVERAGE, "wasm") !== undefined) return;
  tf.registerKernel({
    kernelName: MOVING_AVERAGE,
    backendName: "wasm",
    kernelFunc: movingAverageWasm as unknown as tf.KernelFunc,
  });
}
