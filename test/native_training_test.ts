/**
 * The lesson models trained through `fit` on the native layer and on the wasm path: losses of
 * twenty steps agree, and nothing leaks over epochs. Skipped where no native library was started.
 * (The kernels themselves are the engine's tests, engine/test/native_kernels_test.ts.)
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { nativeLayerInfo, withoutNativeKernels } from "@kd/engine";
import { ensureBackend } from "../lib/backend.ts";
import { createDataset } from "../lib/data/dataset.ts";
import { defaultOptimizer, fit } from "../lib/distill/fit.ts";
import { cifarDeepNN, mnistTeacher } from "../lib/models/mod.ts";
import { createRng } from "../lib/random.ts";

await ensureBackend();
const layer = nativeLayerInfo();
const ignore = layer === undefined;
if (ignore) console.log("no native library was started here: native training tests skipped");

function randomData(size: number, shape: number[]) {
  const rng = createRng(5);
  return createDataset({
    name: "random",
    x: Float32Array.from({ length: size * shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    y: Uint8Array.from({ length: size }, (_, i) => i % 10),
    shape,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    source: "test",
  });
}

// Adam's first steps move every weight by about ±lr whatever its gradient's
// size (m̂/√v̂ ≈ sign g), so a gradient near zero whose float32 rounding differs
// flips a whole step: DeepNN's Adam losses drift apart by ~1e-3 within twenty
// steps (measured) while its SGD losses stay within 3e-5. So DeepNN is compared
// under SGD, which shows the kernels' own error, and the teacher under both.
for (
  const [title, build, shape, batchSize, optimizer] of [
    ["notebook-01 teacher", () => mnistTeacher({ seed: 0 }), [28, 28, 1], 20, "adam"],
    ["notebook-01 teacher", () => mnistTeacher({ seed: 0 }), [28, 28, 1], 20, "sgd"],
    ["DeepNN", () => cifarDeepNN({ seed: 0 }), [32, 32, 3], 8, "sgd"],
  ] as const
) {
  Deno.test({
    name: `twenty ${optimizer} steps of the ${title}: losses within 1e-4 of the wasm path`,
    ignore,
    async fn() {
      const train = randomData(20 * batchSize, [...shape]);
      const losses = async () => {
        const model = build();
        const seen: number[] = [];
        await fit({
          model,
          train,
          epochs: 1,
          batchSize,
          optimizer: optimizer === "adam" ? defaultOptimizer() : tf.train.sgd(0.01),
          callbacks: { onBatchEnd: (p) => void seen.push(p.loss) },
        });
        model.dispose();
        return seen;
      };
      const native = await losses();
      const wasm = await withoutNativeKernels(losses);
      assert.equal(native.length, 20);
      native.forEach((l, i) => {
        assert.ok(Math.abs(l - wasm[i]) <= 1e-4, `step ${i + 1}: ${l} vs ${wasm[i]}`);
      });
    },
  });
}

Deno.test({
  name: "no tensor and no native object leaks over several epochs on the native path",
  ignore,
  async fn() {
    const train = randomData(64, [28, 28, 1]);
    const model = mnistTeacher({ seed: 0 });
    const optimizer = defaultOptimizer();
    const epoch = () => fit({ model, train, epochs: 1, batchSize: 16, optimizer });
    await epoch(); // builds the optimizer's moments and the shapes' primitives
    const tensors = tf.memory().numTensors;
    const objects = layer!.liveObjects();
    for (let i = 0; i < 3; i++) await epoch();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(layer!.liveObjects(), objects);
    model.dispose();
    optimizer.dispose();
  },
});
