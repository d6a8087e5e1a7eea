import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../lib/backend.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import { subset } from "../lib/data/dataset.ts";
import { evaluateAccuracy } from "../lib/distill/evaluate.ts";
import { fit } from "../lib/distill/fit.ts";
import { loadModel, saveModel } from "../lib/io/model_dir.ts";
import { encodeWeights, toFloat16Bits, uint8Params, WEIGHT_FORMATS } from "../lib/io/quantise.ts";
import { mnistStudent, tabularStudent } from "../lib/models/mod.ts";

await ensureBackend();

Deno.test("toFloat16Bits: hand-checked IEEE half bit patterns, ties to even", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65520, 0x7c00], // halfway to the next (65536): ties to even rounds up to Infinity
    [1 / 3, 0x3555],
    [0.1, 0x2e66],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half of it: ties to even gives 0
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: even mantissa (1) wins
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 0x3c01 and 0x3c02: even (0x3c02) wins
    [Infinity, 0x7c00],
    [-1e9, 0xfc00],
  ];
  for (const [v, bits] of cases) {
    assert.equal(toFloat16Bits(v), bits, `${v} → 0x${toFloat16Bits(v).toString(16)}`);
  }
  assert.equal(toFloat16Bits(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(toFloat16Bits(NaN) & 0x3ff, 0);
});

Deno.test("uint8Params: scale spans min…max in 255 steps; a constant tensor still gets a scale", () => {
  assert.deepEqual(uint8Params(Float32Array.of(-1, 0, 1.5)), { scale: 2.5 / 255, min: -1 });
  assert.deepEqual(uint8Params(Float32Array.of(0, 0, 0)), { scale: 1, min: 0 });
  assert.throws(() => uint8Params(Float32Array.of(0, NaN)), /must be finite/);
  // Encoding -1, 0, 0.5, 1.5 gives q = 0, 102, 153, 255 (0 is 1 / (2.5 / 255) = 102 steps up).
  const specs = [{ name: "w", shape: [4], dtype: "float32" as const }];
  const { data } = encodeWeights(specs, Float32Array.of(-1, 0, 0.5, 1.5).buffer, "uint8");
  assert.deepEqual([...data], [0, 102, 153, 255]);
});

/** Every weight of a model, as flat arrays keyed by the weight's name. */
function weightsOf(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

Deno.test("float16 and uint8 round trips stay within their error bounds; same architecture", async () => {
  const dir = await Deno.makeTempDir();
  const model = mnistStudent({ seed: 3 });
  const want = weightsOf(model);
  const topology = JSON.stringify(model.toJSON(null, false));
  for (const format of WEIGHT_FORMATS) {
    const path = join(dir, format);
    await saveModel(model, path, { weights: format });
    const loaded = await loadModel(path);
    assert.equal(JSON.stringify(loaded.toJSON(null, false)), topology, format);
    const got = weightsOf(loaded);
    const manifest = JSON.parse(await Deno.readTextFile(join(path, "model.json")))
      .weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
    for (const [name, a] of want) {
      const b = got.get(name)!;
      const spec = manifest.find((s) => s.name === name)!;
      for (let i = 0; i < a.length; i++) {
        const err = Math.abs(a[i] - b[i]);
        if (format === "float32") assert.equal(err, 0);
        else if (format === "float16") {
          // 1e-3 relative; values below the smallest normal half (6.1e-5) keep 6e-8 absolute.
          assert.ok(err <= 1e-3 * Math.abs(a[i]) + 6e-8, `${name}[${i}]: ${a[i]} → ${b[i]}`);
        } else {
          const step = spec.quantization!.scale!;
          assert.ok(err <= step / 2 * (1 + 1e-4), `${name}[${i}]: ${a[i]} → ${b[i]}, step ${step}`);
        }
      }
    }
    loaded.dispose();
  }
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bytes on disk: float16 is half of float32, uint8 a quarter (6-8-3 student, 83 values)", async () => {
  const dir = await Deno.makeTempDir();
  const model = tabularStudent({ seed: 1 });
  const sizes: Record<string, number> = {};
  for (const format of WEIGHT_FORMATS) {
    await saveModel(model, join(dir, format), { weights: format });
    sizes[format] = (await Deno.stat(join(dir, format, "weights.bin"))).size;
  }
  // 6·8 + 8 + 8·3 + 3 = 83 weights.
  assert.deepEqual(sizes, { float32: 332, float16: 166, uint8: 83 });
  await assert.rejects(
    saveModel(model, join(dir, "x"), { weights: "int4" as "uint8" }),
    /unknown weights format "int4"; use one of float32,float16,uint8/,
  );
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("damaged quantised files are rejected, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const model = tabularStudent({ seed: 1 });
  for (const format of ["float16", "uint8"] as const) {
    const path = join(dir, format);
    const weights = join(path, "weights.bin");
    const json = join(path, "model.json");
    // Truncated.
    await saveModel(model, path, { weights: format });
    const bytes = await Deno.readFile(weights);
    await Deno.writeFile(weights, bytes.slice(0, 50));
    await assert.rejects(
      loadModel(path),
      new RegExp(`${weights}: weights hold 50 bytes but model\\.json describes ${bytes.length}`),
    );
    // Same size, one byte changed.
    const flipped = bytes.slice();
    flipped[7] ^= 0xff;
    await Deno.writeFile(weights, flipped);
    await assert.rejects(loadModel(path), new RegExp(`${weights} is damaged or was changed`));
    // A manifest whose sizes do not add up: one weight's shape grown by a row.
    await Deno.writeFile(weights, bytes);
    const manifest = JSON.parse(await Deno.readTextFile(json));
    manifest.weightsManifest[0].weights[0].shape[0] += 1;
    await Deno.writeTextFile(json, JSON.stringify(manifest));
    const grown = bytes.length + 8 * (format === "uint8" ? 1 : 2);
    await assert.rejects(
      loadModel(path),
      new RegExp(`weights hold ${bytes.length} bytes but model\\.json describes ${grown}`),
    );
    // A missing weights file.
    await Deno.remove(weights);
    await assert.rejects(
      loadModel(path),
      new RegExp(`cannot read ${weights}, which ${json} lists`),
    );
  }
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("notebook 01's student keeps its accuracy within 0.5 point after uint8 (subset)", async () => {
  const [train, test] = await Promise.all([loadMnist("train"), loadMnist("test")]);
  const student = mnistStudent({ seed: 1 });
  await fit({ model: student, train: subset(train, 3000, 1), epochs: 1, batchSize: 100, seed: 2 });
  const check = subset(test, 2000, 3);
  const dir = await Deno.makeTempDir();
  const acc: Record<string, number> = {};
  for (const format of WEIGHT_FORMATS) {
    await saveModel(student, join(dir, format), { weights: format });
    const loaded = await loadModel(join(dir, format));
    acc[format] = evaluateAccuracy(loaded, check);
    loaded.dispose();
  }
  assert.ok(acc.float32 > 0.85, `trained student: ${acc.float32}`);
  assert.ok(Math.abs(acc.uint8 - acc.float32) <= 0.005, JSON.stringify(acc));
  assert.ok(Math.abs(acc.float16 - acc.float32) <= 0.005, JSON.stringify(acc));
  student.dispose();
  await Deno.remove(dir, { recursive: true });
});
