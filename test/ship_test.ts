import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../lib/backend.ts";
import { mnistStudent, tabularStudent } from "../lib/models/mod.ts";
import { savedSizes, storedValues, trainableParams } from "../lib/ship/size.ts";
import { latencyBatch1, throughput } from "../lib/ship/speed.ts";

await ensureBackend();

Deno.test("trainableParams and savedSizes: hand-counted 6-8-3 student and MNIST student", async () => {
  const tabular = tabularStudent({ seed: 1 });
  // 6·8 + 8 + 8·3 + 3.
  assert.equal(trainableParams(tabular), 83);
  const sizes = await savedSizes(tabular);
  assert.deepEqual(sizes.map((s) => [s.format, s.weightsBytes]), [
    ["float32", 332],
    ["float16", 166],
    ["uint8", 83],
  ]);
  for (const s of sizes) assert.equal(s.totalBytes, s.weightsBytes + s.jsonBytes);
  // One 3×3 conv (16 filters), batch norm (γ, β trainable; mean, variance not), dense 16·14·14 → 10.
  const student = mnistStudent({ seed: 1 });
  const conv = 3 * 3 * 16 + 16;
  const dense = 16 * 14 * 14 * 10 + 10;
  assert.equal(trainableParams(student), conv + 2 * 16 + dense);
  assert.equal(storedValues(student), conv + 4 * 16 + dense);
  // A kept directory holds loadable models.
  const dir = await Deno.makeTempDir();
  await savedSizes(student, { dir, formats: ["uint8"] });
  assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["uint8"]);
  assert.ok((await Deno.stat(join(dir, "uint8", "weights.bin"))).size === storedValues(student));
  tabular.dispose();
  student.dispose();
  await Deno.remove(dir, { recursive: true });
});

/**
 * Makes each of `model`'s predictions take the next of `durations` (ms) on `performance.now`,
 * so the timing code's arithmetic can be checked against hand-computed values.
 */
function scriptedClock(model: tf.LayersModel, durations: number[]) {
  let now = 0;
  let calls = 0;
  const predict = model.predict.bind(model);
  model.predict = (x, args) => {
    now += durations[calls++];
    return predict(x, args);
  };
  const realNow = performance.now;
  performance.now = () => now;
  return {
    calls: () => calls,
    restore: () => {
      performance.now = realNow;
      model.predict = predict;
    },
  };
}

Deno.test("latencyBatch1: median and 90th percentile of the timed calls, warm-up untimed", () => {
  const model = tabularStudent({ seed: 1 });
  // Two warm-up calls (1 s each, which must not count), then 20 calls of 1…20 ms, shuffled.
  const timed = [7, 19, 3, 12, 1, 16, 9, 20, 5, 14, 2, 11, 18, 6, 15, 4, 10, 13, 8, 17];
  const clock = scriptedClock(model, [1000, 1000, ...timed]);
  const before = tf.memory().numTensors;
  try {
    const lat = latencyBatch1(model, { calls: 20, warmup: 2 });
    // Median of 1…20 is 10.5; the 90th percentile is the 19th smallest (index ⌊0.9·20⌋ = 18).
    assert.deepEqual(lat, { medianMs: 10.5, p90Ms: 19, calls: 20 });
    assert.equal(clock.calls(), 22);
  } finally {
    clock.restore();
  }
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => latencyBatch1(model, { calls: 0 }), /calls must be at least 1, got 0/);
  model.dispose();
});

Deno.test("throughput: batch size over the median batch time, warm-up untimed", () => {
  const model = tabularStudent({ seed: 1 });
  // One warm-up batch, then batches of 40, 10 and 30 ms: the median is 30 ms, so 64 images
  // per batch make 64 / 0.030 s = 2,133.33 images per second.
  const clock = scriptedClock(model, [500, 40, 10, 30]);
  const before = tf.memory().numTensors;
  try {
    const thr = throughput(model, { batchSize: 64, repeats: 3 });
    assert.equal(thr.batchSize, 64);
    assert.equal(thr.batchMs, 30);
    assert.ok(Math.abs(thr.imagesPerSecond - 2133.333) < 1e-3, `${thr.imagesPerSecond}`);
    assert.equal(clock.calls(), 4);
  } finally {
    clock.restore();
  }
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
