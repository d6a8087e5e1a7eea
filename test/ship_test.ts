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

Deno.test("latencyBatch1 and throughput report what they timed and leak no tensor", () => {
  const model = tabularStudent({ seed: 1 });
  const before = tf.memory().numTensors;
  const lat = latencyBatch1(model, { calls: 30, warmup: 2 });
  assert.equal(lat.calls, 30);
  assert.ok(lat.medianMs > 0 && lat.p90Ms >= lat.medianMs, JSON.stringify(lat));
  const thr = throughput(model, { batchSize: 64, repeats: 3 });
  assert.equal(thr.batchSize, 64);
  assert.ok(Math.abs(thr.imagesPerSecond - 64 / (thr.batchMs / 1000)) < 1e-6 * thr.imagesPerSecond);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => latencyBatch1(model, { calls: 0 }), /calls must be at least 1, got 0/);
  model.dispose();
});
