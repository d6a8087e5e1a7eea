import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { loadModel, saveModel } from "../lib/io/model_dir.ts";
import { CUSTOM_LAYERS } from "../lib/models/custom_layers.ts";
import { MeanProbabilityLogits } from "../lib/models/ensemble.ts";
import { cifarLightNN, mnistStudent, tabularStudent } from "../lib/models/mod.ts";

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

/** Two dense heads averaged by the ensemble's layer (a nested ensemble does not reload in tfjs). */
function meanOfTwo(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const heads = [1, 2].map((i) => tf.layers.dense({ units: 3, name: `head${i}` }).apply(input));
  const logits = new MeanProbabilityLogits({ name: "logits" }).apply(heads as tf.SymbolicTensor[]);
  return tf.model({ inputs: input, outputs: logits as tf.SymbolicTensor });
}

Deno.test("loading alone registers every custom layer (a fresh process imports only model_dir)", async () => {
  const dir = await Deno.makeTempDir();
  // BatchNorm and SameConv2D (mnistStudent), SeededDropout (cifarLightNN), the ensemble's layer.
  const models = {
    student: mnistStudent({ seed: 1 }),
    light: cifarLightNN({ seed: 1 }),
    mean: meanOfTwo(),
  };
  const script = fileURLToPath(new URL("./fixtures/load_model_only.ts", import.meta.url));
  const seen = new Set<string>();
  for (const [name, model] of Object.entries(models)) {
    await saveModel(model, join(dir, name));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, join(dir, name)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const classes: string[] = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(classes, model.layers.map((l) => l.getClassName()));
    for (const c of classes) seen.add(c);
  }
  for (const layer of CUSTOM_LAYERS) assert.ok(seen.has(layer.className), layer.className);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CUSTOM_LAYERS lists every layer class defined in lib/models", async () => {
  const folder = new URL("../lib/models/", import.meta.url);
  const defined: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const text = await Deno.readTextFile(new URL(entry.name, folder));
    for (const m of text.matchAll(/class (\w+) extends tf\.layers\.\w+/g)) defined.push(m[1]);
  }
  assert.ok(defined.length >= 4, `found ${defined}`);
  assert.deepEqual(CUSTOM_LAYERS.map((l) => l.name).sort(), defined.sort());
});
