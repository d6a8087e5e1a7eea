import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadModel, saveModel } from "../lib/io/model_dir.ts";
import { cifarLightNN, tabularStudent } from "../lib/models/mod.ts";

Deno.test("save → load gives identical predictions, custom layers included", async () => {
  const dir = await Deno.makeTempDir();
  for (const model of [tabularStudent({ seed: 5 }), cifarLightNN({ seed: 5 })]) {
    const path = join(dir, model.name);
    await saveModel(model, path);
    const loaded = await loadModel(path);
    const x = tf.randomNormal(
      [3, ...(model.inputs[0].shape.slice(1) as number[])],
      0,
      1,
      "float32",
      9,
    );
    const a = model.predict(x) as tf.Tensor | tf.Tensor[];
    const b = loaded.predict(x) as tf.Tensor | tf.Tensor[];
    const first = (t: tf.Tensor | tf.Tensor[]) => (Array.isArray(t) ? t[0] : t).dataSync();
    assert.deepEqual(Array.from(first(a)), Array.from(first(b)));
    assert.deepEqual(loaded.outputNames, model.outputNames);
  }
  // Saving over an existing model replaces it whole.
  await saveModel(tabularStudent({ seed: 6 }), join(dir, "tabular_student"));
  assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
    "light_nn",
    "tabular_student",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel names the file and the fix when the model is missing or torn", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    loadModel(join(dir, "none")),
    /cannot read .*none\/model\.json.*save the model there with saveModel first/,
  );
  await saveModel(tabularStudent(), join(dir, "m"));
  const weights = join(dir, "m", "weights.bin");
  await Deno.writeFile(weights, (await Deno.readFile(weights)).slice(0, 100));
  await assert.rejects(
    loadModel(join(dir, "m")),
    /weights hold 100 bytes but model\.json describes 332.*save again/,
  );
  await Deno.remove(dir, { recursive: true });
});
