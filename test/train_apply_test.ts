/**
 * applyTraining (lib/models/train_apply.ts): a model's training forward pass with each BatchNorm +
 * ReLU pair as one op gives model.apply's outputs, gradients and moving statistics bit for bit, on
 * whichever engine runs the tests; and only the pairs it may fuse are fused.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../lib/backend.ts";
import { applyTraining } from "../lib/models/train_apply.ts";
import { BatchNorm } from "../lib/models/batch_norm.ts";
import { mnistStudent, mnistTeacher } from "../lib/models/mod.ts";
import { createRng } from "../lib/random.ts";

await ensureBackend();

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

/** Counts applyWithRelu calls while `fn` runs. */
function fusedCalls(fn: () => void): number {
  const original = BatchNorm.prototype.applyWithRelu;
  let calls = 0;
  BatchNorm.prototype.applyWithRelu = function (x, training) {
    calls++;
    return original.call(this, x, training);
  };
  try {
    fn();
  } finally {
    BatchNorm.prototype.applyWithRelu = original;
  }
  return calls;
}

/** Logits, every trainable weight's gradient and the weights after (moving statistics too). */
function oneStep(model: tf.LayersModel, x: tf.Tensor, run: "apply" | "fused"): number[][] {
  return tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let logits!: tf.Tensor;
    const { grads } = tf.variableGrads(() => {
      const y = run === "fused"
        ? applyTraining(model, x)[0]
        : model.apply(x, { training: true }) as tf.Tensor;
      logits = tf.keep(y);
      return tf.sum(tf.mul(y, tf.range(1, 11))) as tf.Scalar;
    }, vars);
    const out = [bits(logits), ...vars.map((v) => bits(grads[v.name]))];
    logits.dispose();
    return [...out, ...model.getWeights().map(bits)];
  });
}

for (const [name, build] of [["teacher", mnistTeacher], ["student", mnistStudent]] as const) {
  Deno.test(`applyTraining equals model.apply bit for bit: the notebook-01 ${name}`, () => {
    const rng = createRng(3);
    const x = tf.tensor4d(Float32Array.from({ length: 4 * 28 * 28 }, () => rng.normal()), [
      4,
      28,
      28,
      1,
    ]);
    const a = build({ seed: 5 }), b = build({ seed: 5 });
    let fused!: number[][];
    const calls = fusedCalls(() => (fused = oneStep(a, x, "fused")));
    const plain = oneStep(b, x, "apply");
    assert.equal(calls, name === "teacher" ? 3 : 1, "every BatchNorm + ReLU pair fused");
    assert.equal(fused.length, plain.length);
    fused.forEach((v, i) => assert.deepEqual(v, plain[i], `output ${i}`));
    tf.dispose([x, ...a.weights.map((w) => w.read()), ...b.weights.map((w) => w.read())]);
  });
}

Deno.test("applyTraining fuses a pair only where the ReLU alone reads the batch norm", () => {
  const input = tf.input({ shape: [4] });
  const shared = new BatchNorm().apply(input) as tf.SymbolicTensor; // read by a ReLU and an add
  const sum = tf.layers.add().apply([
    tf.layers.reLU().apply(shared) as tf.SymbolicTensor,
    shared,
  ]) as tf.SymbolicTensor;
  const capped = tf.layers.reLU({ maxValue: 1 }).apply(
    new BatchNorm().apply(sum),
  ) as tf.SymbolicTensor;
  const exposed = new BatchNorm().apply(capped) as tf.SymbolicTensor; // a model output
  const fusable = tf.layers.reLU().apply(new BatchNorm().apply(exposed)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [fusable, exposed] });
  const x = tf.tensor2d([[1, -2, 3, 0.5], [-1, 2, 0, 4], [0, 1, -3, 2]]);
  let outs!: tf.Tensor[];
  const calls = fusedCalls(() => (outs = applyTraining(model, x)));
  assert.equal(calls, 1, "only the last pair");
  const reference = model.apply(x, { training: true }) as tf.Tensor[];
  outs.forEach((t, i) => assert.deepEqual(bits(t), bits(reference[i]), `output ${i}`));
  assert.ok(outs[0].dataSync().some((v) => v === 0), "the fused ReLU cut something");
  tf.dispose([x, ...outs, ...reference]);
});

Deno.test("applyTraining: a model without a pair runs through apply; a wrong input count throws", () => {
  const input = tf.input({ shape: [3] });
  const plain = tf.model({
    inputs: input,
    outputs: tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor,
  });
  const x = tf.ones([2, 3]);
  const calls = fusedCalls(() => {
    const [y] = applyTraining(plain, x);
    assert.deepEqual(y.shape, [2, 2]);
    y.dispose();
  });
  assert.equal(calls, 0);
  const teacher = mnistTeacher();
  assert.throws(
    () => applyTraining(teacher, [x, x]),
    /mnist_teacher takes 1 input\(s\), got 2/,
  );
  x.dispose();
});
