/**
 * exportOnnx's file, read back with the ONNX schema and by onnxruntime-node: names, shapes, the
 * nodes a model becomes, the input layouts, int8 weights, and the layers it refuses by name.
 * (test/onnx_agreement_test.ts runs every lesson model on real images.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";
import { ensureBackend } from "../lib/backend.ts";
import { createDataset } from "../lib/data/dataset.ts";
import {
  cifarLightNN,
  mnistStudent,
  SameConv2D,
  tabularStudent,
  teacherEnsemble,
} from "../lib/models/mod.ts";
import { storedValues } from "../lib/ship/size.ts";
import { compareLogits } from "../lib/ship/onnx/compare.ts";
import { exportOnnx, onnxBytes } from "../lib/ship/onnx/export.ts";
import { quantiseInt8 } from "../lib/ship/onnx/int8.ts";
import {
  afterPermute,
  CHANNELS_FIRST,
  identityOrder,
  transposeBetween,
} from "../lib/ship/onnx/layout.ts";
import { onnxLatencyBatch1, onnxPredict, openOnnx } from "../lib/ship/onnx/runtime.ts";

const { onnx } = onnxProto;
await ensureBackend();

const decode = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes);
const dims = (v: onnxProto.onnx.IValueInfoProto) =>
  v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
const ops = (bytes: Uint8Array) => decode(bytes).graph!.node!.map((n) => n.opType);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function predict(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

Deno.test("axis orders: the Transposes and Permute relabelling, by hand", () => {
  // NHWC to NCHW and back.
  assert.deepEqual(transposeBetween(identityOrder(4), CHANNELS_FIRST), [0, 3, 1, 2]);
  assert.deepEqual(transposeBetween(CHANNELS_FIRST, identityOrder(4)), [0, 2, 3, 1]);
  // flattenChannelsFirst's Permute([3, 1, 2]) of an NCHW-held map: tfjs's CHW is what is held.
  assert.deepEqual(afterPermute(CHANNELS_FIRST, [3, 1, 2]), [0, 1, 2, 3]);
  // The same Permute of an NHWC-held map needs a Transpose [0, 3, 1, 2] before a Flatten.
  assert.deepEqual(afterPermute(identityOrder(4), [3, 1, 2]), [0, 2, 3, 1]);
  assert.deepEqual(transposeBetween([0, 2, 3, 1], identityOrder(4)), [0, 3, 1, 2]);
});

Deno.test("quantiseInt8: one scale per channel, max |w| / 127, by hand", () => {
  const values = new Float32Array([2.54, -1, 0.127, 0]);
  // Rows are channels: scales 2.54/127 = 0.02 and 0.127/127 = 0.001.
  const rows = quantiseInt8(values, [2, 2], 0);
  assert.deepEqual([...rows.q], [127, -50, 127, 0]);
  assert.deepEqual([...rows.scales], [Math.fround(0.02), Math.fround(0.001)]);
  // Columns are channels: [2.54, 0.127] (scale 0.02, 6.35 rounds to 6) and [−1, 0].
  const cols = quantiseInt8(values, [2, 2], 1);
  assert.deepEqual([...cols.q], [127, -127, 6, 0]);
  assert.deepEqual([...cols.scales], [Math.fround(0.02), Math.fround(1 / 127)]);
  // An all-zero channel keeps scale 1.
  assert.deepEqual([...quantiseInt8(new Float32Array(2), [2], 0).scales], [1, 1]);
  assert.throws(
    () => quantiseInt8(new Float32Array([1, NaN]), [2], 0),
    /cannot quantise a weight of NaN at index 1: weights must be finite/,
  );
  assert.throws(() => quantiseInt8(values, [3], 0), /4 values do not fill shape \[3\]/);
});

Deno.test("the MNIST student's file: its nodes, names and shapes, as the schema and ORT read them", async () => {
  const model = mnistStudent({ seed: 1 });
  const dir = await Deno.makeTempDir();
  const path = join(dir, "sub", "student.onnx");
  const file = await exportOnnx(model, path);
  const bytes = await Deno.readFile(path);
  assert.equal(file.bytes, bytes.length);
  const proto = decode(bytes);
  assert.deepEqual(proto.opsetImport!.map((o) => [o.domain, Number(o.version)]), [["", 13]]);
  const graph = proto.graph!;
  // One Transpose (NHWC input to NCHW), none for the Permute: the Flatten reads NCHW as tfjs's CHW.
  assert.deepEqual(ops(bytes), [
    "Transpose",
    "Conv",
    "BatchNormalization",
    "Relu",
    "MaxPool",
    "Flatten",
    "Gemm",
  ]);
  assert.deepEqual(graph.input!.map((v) => [v.name, dims(v)]), [["input", ["batch", 28, 28, 1]]]);
  assert.deepEqual(graph.output!.map((v) => [v.name, dims(v)]), [["logits", ["batch", 10]]]);
  assert.deepEqual(file.input, { name: "input", shape: ["batch", 28, 28, 1] });
  assert.deepEqual(file.outputs, [{ name: "logits", shape: ["batch", 10] }]);
  assert.equal(file.nodes, 7);
  const init = Object.fromEntries(graph.initializer!.map((t) => [t.name, t.dims!.map(Number)]));
  const conv = model.layers[1].name;
  const dense = model.layers.at(-1)!.name;
  assert.deepEqual(init[`${conv}/kernel`], [16, 1, 3, 3]);
  assert.deepEqual(init[`${dense}/kernel`], [16 * 14 * 14, 10]);
  // float32 weights: every stored value (BN statistics included) and little else.
  const values = storedValues(model);
  assert.ok(file.bytes > 4 * values && file.bytes < 4 * values + 2_000, `${file.bytes} bytes`);

  const session = await openOnnx(path);
  assert.equal(session.inputName, "input");
  assert.deepEqual(session.sampleShape, [28, 28, 1]);
  assert.deepEqual(session.outputNames, ["logits"]);
  assert.deepEqual(session.outputShapes, { logits: [10] });
  const lat = await onnxLatencyBatch1(session, { calls: 5, warmup: 1 });
  assert.equal(lat.calls, 5);
  assert.ok(lat.medianMs > 0 && lat.p90Ms >= lat.medianMs, JSON.stringify(lat));
  const wrong = createDataset({
    name: "wrong",
    x: new Float32Array(2 * 784),
    y: new Uint8Array(2),
    shape: [1, 28, 28],
    classNames: ["a"],
    source: "test",
  });
  await assert.rejects(
    () => onnxPredict(session, wrong),
    /wrong holds examples of \[1,28,28\], but the ONNX model reads \[28,28,1\]/,
  );
  await session.release();
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("inputLayout NCHW takes channel-first images and drops the first Transpose", async () => {
  const model = mnistStudent({ seed: 1 });
  const { bytes, info } = onnxBytes(model, { inputLayout: "NCHW", inputName: "pixels" });
  assert.deepEqual(info.input, { name: "pixels", shape: ["batch", 1, 28, 28] });
  assert.deepEqual(ops(bytes).slice(0, 2), ["Conv", "BatchNormalization"]);
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, "float32", 4);
  const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
  const session = await openOnnx(bytes);
  assert.ok(maxDiff(await session.run(nchw, 3), predict(model, x)) < 1e-5);
  await session.release();
  assert.throws(
    () => onnxBytes(tabularStudent(), { inputLayout: "NCHW" }),
    /inputLayout NCHW needs an image input; tabular_student has rank 2/,
  );
  x.dispose();
  model.dispose();
});

Deno.test("outputs: every output in tfjs's layout by default, or only those named", () => {
  const model = cifarLightNN({ seed: 42 });
  const all = onnxBytes(model);
  assert.deepEqual(all.info.outputs, [
    { name: "logits", shape: ["batch", 10] },
    { name: "hidden", shape: ["batch", 1024] },
    { name: "feature_map", shape: ["batch", 8, 8, 16] },
  ]);
  // The feature map is held NCHW and transposed back for its output: one Transpose more.
  assert.equal(ops(all.bytes).filter((o) => o === "Transpose").length, 2);
  const logits = onnxBytes(model, { outputs: ["logits"] });
  assert.deepEqual(logits.info.outputs.map((o) => o.name), ["logits"]);
  assert.equal(ops(logits.bytes).filter((o) => o === "Transpose").length, 1);
  assert.throws(
    () => onnxBytes(model, { outputs: ["probabilities"] }),
    /light_nn has no output "probabilities" \(it has logits,hidden,feature_map\)/,
  );
  model.dispose();
});

Deno.test("int8 weights: ORT computes with the dequantised per-channel weights", async () => {
  const input = tf.input({ shape: [6, 6, 2] });
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed + 1 }),
  });
  const conv = new SameConv2D({ filters: 3, kernelSize: 3, activation: "relu", ...init(1) });
  const flat = tf.layers.flatten().apply(conv.apply(input)) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 4, name: "logits", ...init(3) });
  const model = tf.model({ inputs: input, outputs: dense.apply(flat) as tf.SymbolicTensor });
  const { bytes, info } = onnxBytes(model, { weights: "int8" });
  assert.equal(info.weights, "int8");
  assert.deepEqual(ops(bytes).filter((o) => o === "DequantizeLinear").length, 2);
  const kinds = decode(bytes).graph!.initializer!.map((t) => [t.name, t.dataType]);
  assert.deepEqual(kinds.filter(([, t]) => t === onnx.TensorProto.DataType.INT8).length, 2);

  // The same model in tfjs with each kernel replaced by its int8 value times its channel's
  // scale (output channels: tfjs axis 3 of the conv kernel, axis 1 of the dense one).
  for (const [layer, axis] of [[conv, 3], [dense, 1]] as const) {
    const [kernel, bias] = layer.getWeights();
    const { q, scales } = quantiseInt8(kernel.dataSync() as Float32Array, kernel.shape, axis);
    const inner = kernel.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const channels = kernel.shape[axis] as number;
    const values = Float32Array.from(q, (v, i) => v * scales[Math.floor(i / inner) % channels]);
    const deq = tf.tensor(values, kernel.shape);
    layer.setWeights([deq, bias]);
    deq.dispose();
  }
  const x = tf.randomUniform([5, 6, 6, 2], -1, 1, "float32", 9);
  // "basic": from "extended" on, ORT may turn DequantizeLinear + Gemm into an integer product on
  // dynamically quantised inputs, which is no longer the stored weights' float product.
  const session = await openOnnx(bytes, { graphOptimization: "basic" });
  const got = await session.run(x.dataSync() as Float32Array, 5);
  assert.ok(maxDiff(got, predict(model, x)) < 1e-5, `${maxDiff(got, predict(model, x))}`);
  await session.release();
  x.dispose();
  model.dispose();
});

Deno.test("layers and activations without a converter are refused by name; nothing is written", async () => {
  const input = tf.input({ shape: [8, 8, 1] });
  const pooled = tf.layers.averagePooling2d({ poolSize: 2, name: "smooth" }).apply(input);
  const flat = tf.layers.flatten().apply(pooled) as tf.SymbolicTensor;
  const avg = tf.model({ inputs: input, outputs: flat, name: "avg" });
  const dir = await Deno.makeTempDir();
  const path = join(dir, "avg.onnx");
  await assert.rejects(
    () => exportOnnx(avg, path),
    new Error(
      'ONNX export: layer "smooth" of class AveragePooling2D has no ONNX converter; the ' +
        "exporter writes Conv2D, SameConv2D, Dense, BatchNorm, ReLU, MaxPooling2D, Permute, " +
        "Flatten, Dropout, SeededDropout",
    ),
  );
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  await Deno.remove(dir, { recursive: true });

  const student = tabularStudent();
  assert.throws(
    () => onnxBytes(teacherEnsemble([student])),
    /layer "logits" of class MeanProbabilityLogits has no ONNX converter/,
  );
  const six = tf.input({ shape: [6] });
  const probs = tf.layers.dense({ units: 3, activation: "softmax", name: "probs" }).apply(six);
  assert.throws(
    () => onnxBytes(tf.model({ inputs: six, outputs: probs as tf.SymbolicTensor })),
    new Error(
      'ONNX export: layer "probs" (Dense) uses activation "softmax"; the exporter writes ' +
        "linear,relu,tanh,sigmoid",
    ),
  );
  for (const m of [avg, student]) m.dispose();
});

Deno.test("compareLogits: same classes and the largest difference, by hand", () => {
  const a = { values: new Float32Array([1, 2, 3, 0]), shape: [2] };
  const b = { values: new Float32Array([1, 2.5, 0, 3]), shape: [2] };
  // Row 0: class 1 in both; row 1: class 0 against 1; largest |a − b| is 3.
  assert.deepEqual(compareLogits(a, b), { examples: 2, sameClass: 1, maxAbsDiff: 3 });
  assert.throws(
    () => compareLogits(a, { values: new Float32Array(6), shape: [3] }),
    /cannot compare 4 logits of \[2\] with 6 of \[3\]/,
  );
});
