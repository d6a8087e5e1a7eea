/**
 * SameConv2D (lib/models/conv.ts) against tf.layers.conv2d: same outputs and
 * weight gradients, and no gradient computed for a model's input images.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { traceSince, traceSnapshot } from "@kd/engine";
import { onPureWasm } from "./fixtures/engine.ts";
import { SameConv2D } from "../lib/models/conv.ts";
import "../lib/models/custom_layers.ts"; // modelFromJSON below reads the layer back
import { createRng } from "../lib/random.ts";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    assert.ok(err <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

Deno.test("SameConv2D equals tf.layers.conv2d: outputs (training and not) and gradients", async () => {
  await onPureWasm(() => {
    const rng = createRng(8);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 6 * 5 * 3 }, () => rng.normal()), [
      2,
      6,
      5,
      3,
    ]);
    for (const activation of ["linear", "relu"] as const) {
      const ours = new SameConv2D({ filters: 4, kernelSize: 3, activation });
      const stock = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation });
      ours.apply(x);
      stock.apply(x);
      stock.setWeights(ours.getWeights());
      const run = (layer: tf.layers.Layer) => {
        const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(layer.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          vars,
        );
        const infer = layer.apply(x) as tf.Tensor;
        const out = {
          loss: value.dataSync()[0],
          grads: vars.map((v) => grads[v.name].dataSync()),
          infer: infer.dataSync(),
        };
        tf.dispose([value, infer, ...Object.values(grads)]);
        return out;
      };
      const a = run(ours);
      const b = run(stock);
      assert.deepEqual((ours.apply(x) as tf.Tensor).shape, [2, 6, 5, 4]);
      close([a.loss], [b.loss], 1e-5, `${activation} loss`);
      a.grads.forEach((g, i) => close(g, b.grads[i], 1e-5, `${activation} grad ${i}`));
      close(a.infer, b.infer, 1e-5, `${activation} inference`);
    }
    x.dispose();
  });
});

Deno.test("SameConv2D on a one-channel input: no input gradient is computed", async () => {
  await onPureWasm(() => {
    const x = tf.ones([2, 8, 8, 1]);
    /** One-output convolutions (a one-channel input's gradient) run during a gradient of Σy. */
    const inputGradients = (layer: tf.layers.Layer) => {
      layer.apply(x);
      const before = traceSnapshot();
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        vars,
      );
      const biasGrad = grads[vars[1].name].dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      return { runs: traceSince(before).Conv2D?.depthwise ?? 0, biasGrad };
    };
    const ours = inputGradients(new SameConv2D({ filters: 4, kernelSize: 5 }));
    const stock = inputGradients(tf.layers.conv2d({ filters: 4, kernelSize: 5, padding: "same" }));
    assert.equal(stock.runs, 1, "the stock layer computes the images' gradient");
    assert.equal(ours.runs, 0, "SameConv2D does not");
    // d/dbias of Σy is the number of output positions per filter: 2·8·8 = 128.
    close(ours.biasGrad, [128, 128, 128, 128], 1e-6, "bias gradient");
    x.dispose();
  });
});

Deno.test("SameConv2D: bad sizes are clear errors; the config survives serialisation", async () => {
  assert.throws(() => new SameConv2D({ filters: 4, kernelSize: 2 }), {
    message: "SameConv2D: kernelSize must be a positive odd integer, got 2",
  });
  assert.throws(() => new SameConv2D({ filters: 0, kernelSize: 3 }), {
    message: "SameConv2D: filters must be a positive integer, got 0",
  });
  const input = tf.input({ shape: [4, 4, 2] });
  const model = tf.model({
    inputs: input,
    outputs: new SameConv2D({ filters: 3, kernelSize: 3, activation: "relu" }).apply(
      input,
    ) as tf.SymbolicTensor,
  });
  const copy = await tf.models.modelFromJSON(model.toJSON(null, false) as never);
  const layer = copy.layers[1] as SameConv2D;
  assert.ok(layer instanceof SameConv2D);
  assert.deepEqual([layer.filters, layer.kernelSize, layer.activation], [3, 3, "relu"]);
  model.dispose();
  copy.dispose();
});
