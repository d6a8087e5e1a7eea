/** compareRuntimes (tfjs beside ONNX Runtime) and the table notebook 06 shows of it. */
import assert from "node:assert/strict";
import { ensureBackend } from "../lib/backend.ts";
import { renderSvg } from "../lib/charts/render.ts";
import { runtimeCostChart } from "../lib/charts/runtime_cost.ts";
import { select } from "../lib/data/dataset.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import { mnistStudent } from "../lib/models/mod.ts";
import { runtimeTableRows } from "../lib/notebook/runtime_comparison.ts";
import { compareRuntimes, type RuntimeRow } from "../lib/ship/onnx/runtimes.ts";

await ensureBackend();

Deno.test("compareRuntimes: a tfjs row, then ONNX float32 and int8 rows measured on the same images", async () => {
  const data = select(await loadMnist("test"), Array.from({ length: 50 }, (_, i) => i));
  const model = mnistStudent({ seed: 1 });
  const dir = await Deno.makeTempDir();
  const rows = await compareRuntimes(model, data, {
    name: "MNIST student",
    dir,
    latency: { calls: 3, warmup: 1 },
  });
  assert.deepEqual(rows.map((r) => [r.model, r.runtime, r.format, r.examples]), [
    ["MNIST student", "TensorFlow.js", "float32", 50],
    ["MNIST student", "ONNX Runtime", "float32", 50],
    ["MNIST student", "ONNX Runtime", "int8", 50],
  ]);
  const [tfjs, f32, i8] = rows;
  assert.equal(tfjs.sameClass, 50);
  assert.equal(tfjs.maxAbsDiff, 0);
  assert.equal(f32.sameClass, 50);
  assert.ok(f32.maxAbsDiff < 1e-4, `${f32.maxAbsDiff}`);
  assert.equal(f32.accuracy, tfjs.accuracy);
  // The files it kept: the ONNX sizes are theirs; int8 kernels take a quarter of the bytes.
  const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  assert.deepEqual(names, ["MNIST_student.float32.onnx", "MNIST_student.int8.onnx"]);
  assert.equal(f32.bytes, (await Deno.stat(`${dir}/MNIST_student.float32.onnx`)).size);
  assert.ok(i8.bytes < f32.bytes / 3.5, `${i8.bytes} vs ${f32.bytes}`);
  for (const r of rows) assert.ok(r.latencyMs > 0);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runtimeTableRows formats sizes, latency, agreement and differences", () => {
  const row: RuntimeRow = {
    model: "m",
    runtime: "ONNX Runtime",
    format: "int8",
    bytes: 33_816,
    latencyMs: 0.4567,
    accuracy: 0.9812,
    examples: 10_000,
    sameClass: 9_997,
    maxAbsDiff: 0.01234,
  };
  assert.deepEqual(runtimeTableRows([row, { ...row, runtime: "TensorFlow.js" }]), [
    {
      model: "m",
      runtime: "ONNX Runtime",
      weights: "int8",
      size: "33 KiB",
      "latency, batch 1": "0.46 ms",
      "test accuracy": "98.12 %",
      "same class as tfjs": "9,997 / 10,000",
      "largest logit difference": "1.2e-2",
    },
    {
      model: "m",
      runtime: "TensorFlow.js",
      weights: "int8",
      size: "33 KiB",
      "latency, batch 1": "0.46 ms",
      "test accuracy": "98.12 %",
      "same class as tfjs": "9,997 / 10,000",
      "largest logit difference": "–",
    },
  ]);
});

Deno.test("runtimeCostChart: size and latency panels on log scales, one dot per setup", async () => {
  const spec = runtimeCostChart([
    { model: "student", setup: "TensorFlow.js, float32", bytes: 2048, latencyMs: 0.5 },
    { model: "student", setup: "ONNX Runtime, int8", bytes: 512, latencyMs: 0.02 },
  ], { title: "costs" });
  assert.deepEqual(spec.data.values, [
    { model: "student", setup: "TensorFlow.js, float32", kib: 2, latencyMs: 0.5 },
    { model: "student", setup: "ONNX Runtime, int8", kib: 0.5, latencyMs: 0.02 },
  ]);
  const x = spec.hconcat!.map((v) => v.encoding!.x as { field: string; scale: { type: string } });
  assert.deepEqual(x.map((e) => [e.field, e.scale.type]), [["kib", "log"], ["latencyMs", "log"]]);
  const svg = await renderSvg(spec);
  for (const text of ["costs", "size (KiB, log scale)", "ONNX Runtime, int8"]) {
    assert.ok(svg.includes(text), text);
  }
});
