import assert from "node:assert/strict";
import { logSoftmax, softmax } from "../lib/softmax.ts";

Deno.test("softmax: hand-computed values, flatter at higher T, stable for big logits", () => {
  const z = [4, 1, 0];
  const p1 = softmax(z);
  const sum = Math.exp(4) + Math.exp(1) + 1;
  [Math.exp(4) / sum, Math.exp(1) / sum, 1 / sum].forEach((want, i) =>
    assert.ok(Math.abs(p1[i] - want) < 1e-12, `class ${i}: ${p1[i]} vs ${want}`)
  );
  const p4 = softmax(z, 4);
  assert.ok(Math.abs(p4[0] - Math.exp(1) / (Math.exp(1) + Math.exp(0.25) + 1)) < 1e-12);
  assert.ok(p4[0] < p1[0] && p4[2] > p1[2]);
  assert.deepEqual(softmax([1000, 1000]), [0.5, 0.5]);
});

Deno.test("logSoftmax: log of softmax, finite where exp overflows", () => {
  const z = [2, -1, 0.5];
  const logs = logSoftmax(z, 2);
  softmax(z, 2).forEach((p, i) => assert.ok(Math.abs(logs[i] - Math.log(p)) < 1e-12));
  logSoftmax([1000, 1000]).forEach((v) => assert.ok(Math.abs(v + Math.log(2)) < 1e-12, `${v}`));
});

Deno.test("a temperature that is not a positive number is refused by name", () => {
  for (const t of [0, -1, NaN, Infinity]) {
    assert.throws(() => softmax([1, 2], t), {
      name: "RangeError",
      message: `temperature must be a positive number, got ${t}`,
    });
    assert.throws(() => logSoftmax([1, 2], t), RangeError);
  }
});
