/**
 * withoutTape (ops/without_tape.ts): work inside a gradient computation that is not recorded (no
 * tape node, no saved copies), with its numbers and the gradient around it unchanged.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { withoutTape } from "../ops/without_tape.ts";

const tapeLength = () =>
  (tf.engine().state as unknown as { activeTape: unknown[] | null }).activeTape?.length ?? 0;

Deno.test("withoutTape: its ops add no tape node, compute the same, and the gradient is unchanged", () => {
  tf.setBackend("cpu");
  const x = tf.tensor1d([1, -2, 3]);
  const moving = tf.variable(tf.tensor1d([0.5, 0.5, 0.5]), false);
  const nodes: number[] = [];
  const grad = tf.grad((v: tf.Tensor) => {
    const y = tf.mul(v, v);
    // A moving-average update from a value on the tape, as batch norm's is: off the tape, then
    // the same three ops on it.
    const update = () => tf.sub(moving, tf.mul(tf.sub(moving, y), 0.1)) as tf.Tensor1D;
    let before = tapeLength();
    withoutTape(() => moving.assign(update()));
    nodes.push(tapeLength() - before);
    before = tapeLength();
    update();
    nodes.push(tapeLength() - before);
    return tf.sum(y);
  })(x);
  // On the tape each op adds its node (and tfjs its helpers: 9 on the cpu backend).
  assert.equal(nodes[0], 0);
  assert.ok(nodes[1] >= 3, `the same ops on the tape added ${nodes[1]} nodes`);
  assert.deepEqual(Array.from(grad.dataSync()), [2, -4, 6]);
  // 0.5 − (0.5 − x²)·0.1 in float32, as the same ops give outside a gradient.
  const want = tf.sub(0.5, tf.mul(tf.sub(0.5, tf.mul(x, x)), 0.1));
  assert.deepEqual(Array.from(moving.dataSync()), Array.from(want.dataSync()));
  tf.dispose([x, moving, grad, want]);
});
