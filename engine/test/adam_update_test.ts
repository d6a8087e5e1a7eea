/** The fused Adam step of the wasm engine (wasm/kernels/adam_update.ts) against hand-computed numbers. */
import assert from "node:assert/strict";
import { adamUpdateInto } from "../wasm/kernels/adam_update.ts";

Deno.test("adamUpdateInto: the first step moves a weight by the learning rate", () => {
  // Step 1 from zero moments: m = 0.1·g, v = 0.001·g², corrected m̂ = g, v̂ = g², so the
  // weight moves by −lr·g/(|g| + ε) ≈ −lr·sign(g) — here 1 → 0.999 and −2 → −1.999.
  const out = { value: new Float32Array(2), m: new Float32Array(2), v: new Float32Array(2) };
  adamUpdateInto(
    Float32Array.of(1, -2),
    new Float32Array(2),
    new Float32Array(2),
    Float32Array.of(0.5, -4),
    out,
    {
      beta1: 0.9,
      beta2: 0.999,
      learningRate: 0.001,
      epsilon: 1e-8,
      correction1: 0.1,
      correction2: 0.001,
    },
  );
  assert.deepEqual(Array.from(out.m), [Math.fround(0.05), Math.fround(-0.4)]);
  assert.ok(Math.abs(out.v[0] - 0.00025) < 1e-9 && Math.abs(out.v[1] - 0.016) < 1e-8);
  assert.ok(Math.abs(out.value[0] - 0.999) < 1e-6, `${out.value[0]}`);
  assert.ok(Math.abs(out.value[1] + 1.999) < 1e-6, `${out.value[1]}`);
});
