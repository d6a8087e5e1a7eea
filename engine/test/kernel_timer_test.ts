/**
 * KernelTimer (kernel_timer.ts) with an injected clock: each kernel's self time is read from the
 * clock it is given (the profile's `--cpu` passes the process's CPU time), per kernel name.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { KernelTimer } from "../kernel_timer.ts";

Deno.test("KernelTimer reads the clock it is given, once before and once after each kernel", () => {
  tf.setBackend("cpu");
  // A clock that moves 5 ms on every read: each kernel call measures exactly 5 ms.
  let now = 0;
  const timer = new KernelTimer(false, () => (now += 5));
  timer.install("cpu");
  const a = tf.tensor1d([1, 2, 3]);
  const sum = tf.add(a, a);
  const product = tf.mul(sum, a);
  assert.deepEqual(Array.from(product.dataSync()), [2, 8, 18]);
  assert.deepEqual(timer.self.get("Add"), { ms: 5, calls: 1 });
  assert.deepEqual(timer.self.get("Multiply"), { ms: 5, calls: 1 });
  timer.reset();
  assert.equal(timer.self.size, 0);
  tf.dispose([a, sum, product]);
});
