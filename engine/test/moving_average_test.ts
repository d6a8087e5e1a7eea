/**
 * movingAverages (ops/moving_average.ts) and its wasm kernel: by hand, and bit for bit against
 * tfjs's sub, mul and sub on awkward values, every pair in one kernel call.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../mod.ts";
import { movingAverages } from "../ops/moving_average.ts";
import { traceOf } from "../trace.ts";
import { normalValues } from "./fixtures/values.ts";

await ensureBackend({ prefer: "wasm" });

const bits = (t: tf.Tensor) =>
  Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

Deno.test("movingAverages: moving − (moving − batch)·(1 − momentum), by hand", () => {
  const [out] = movingAverages(
    [{ moving: tf.tensor1d([1, 2]), batch: tf.tensor1d([3, -2]) }],
    0.75,
  );
  // 1 − (1 − 3)·0.25 = 1.5; 2 − (2 + 2)·0.25 = 1.
  assert.deepEqual(Array.from(out.dataSync()), [1.5, 1]);
});

Deno.test("movingAverages on wasm: one kernel call for every pair, tfjs's kernels' bits", () => {
  const pairs = [16, 32, 5].map((n, i) => ({
    moving: tf.tensor1d(normalValues(n, 10 + i).map((v) => v * 1e3)),
    batch: tf.tensor1d(normalValues(n, 20 + i).map((v) => v * 1e-3)),
  }));
  let fused!: tf.Tensor[];
  const trace = traceOf(() => (fused = movingAverages(pairs, 0.9)));
  assert.deepEqual(trace.KdMovingAverage, { js: 1 });
  pairs.forEach(({ moving, batch }, i) => {
    const stock = tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - 0.9));
    assert.deepEqual(bits(fused[i]), bits(stock), `pair ${i}`);
  });
  assert.throws(
    () =>
      tf.engine().runKernel(
        "KdMovingAverage",
        { moving0: pairs[0].moving, batch0: pairs[1].batch },
        { momentum: 0.9 },
      ),
    /KdMovingAverage: pair 0 needs moving0 and batch0 of one shape/,
  );
});
