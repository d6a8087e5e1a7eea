/**
 * The wasm engine's tape saves (wasm/tape_saves.ts): a first-order gradient keeps its saved
 * tensors without an Identity kernel call each, with the same gradients and no tensor left
 * behind; a gradient of a gradient still goes through tfjs's own saves.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { ensureBackend } from "../mod.ts";
import { traceOf } from "../trace.ts";

await ensureBackend({ prefer: "wasm" });

Deno.test("first-order saves share buffers without Identity calls; values and memory as before", () => {
  const x = tf.tensor1d([1, -2, 3]);
  const w = tf.tensor1d([0.5, 4, -1]);
  const before = tf.memory().numTensors;
  let grads!: tf.Tensor[];
  // Mul saves both inputs; Exp saves its output.
  const trace = traceOf(() => {
    grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.exp(tf.mul(a, b))))([x, w]);
  });
  assert.equal(trace.Identity?.shared ?? 0, 0, JSON.stringify(trace.Identity));
  const e = [0.5, -8, -3].map(Math.exp);
  const near = (t: tf.Tensor, expected: number[]) =>
    Array.from(t.dataSync()).forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])), `${v}`)
    );
  near(grads[0], [0.5 * e[0], 4 * e[1], -1 * e[2]]); // d/da = b·exp(ab)
  near(grads[1], [1 * e[0], -2 * e[1], 3 * e[2]]);
  tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before, "the saved tensors were released");
  tf.dispose([x, w]);
});

Deno.test("a gradient of a gradient still reaches the saved tensors", () => {
  // d²/dx² x³ = 6x.
  const second = tf.grad(tf.grad((x: tf.Tensor) => tf.mul(tf.mul(x, x), x)));
  const x = tf.tensor1d([2, -1.5]);
  const g = second(x);
  assert.deepEqual(Array.from(g.dataSync()), [12, -9]);
  tf.dispose([x, g]);
});
