import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  cifarDeepNN,
  cifarLightNN,
  countTrainableParams,
  hintRegressor,
  kerasCnnTeacher,
  mlpStudent,
  mnistStudent,
  mnistTeacher,
  tabularStudent,
  tabularTeacher,
  teacherEnsemble,
} from "../lib/models/mod.ts";

function check(model: tf.LayersModel, params: number, outputs: (number | null)[][]): void {
  assert.equal(countTrainableParams(model), params, model.name);
  assert.deepEqual(model.outputs.map((o) => o.shape), outputs, model.name);
  model.dispose();
}

Deno.test("parameter counts match the sources (PyTorch counts trainable parameters)", () => {
  // Notebook 01: conv 416 + bn 32 + conv 2,320 + bn 32 + conv 4,640 + bn 64 + 470,700 + 3,010.
  check(mnistTeacher(), 481_214, [[null, 10]]);
  check(mnistStudent(), 31_562, [[null, 10]]);
  check(tabularTeacher(), 213, [[null, 3]]);
  check(tabularStudent(), 83, [[null, 3]]);
  check(cifarDeepNN(), 1_186_986, [[null, 10], [null, 2048], [null, 8, 8, 32]]);
  check(cifarLightNN(), 267_738, [[null, 10], [null, 1024], [null, 8, 8, 16]]);
  check(hintRegressor(), 4_640, [[null, 8, 8, 32]]);
  check(kerasCnnTeacher(), 61_514, [[null, 10]]);
  check(mlpStudent(), 50_890, [[null, 10]]);
});

Deno.test("notebook 01 models adapt to 3×32×32 inputs for the CIFAR-10 exercise", () => {
  // 32 → 16 → 8 after two pools: Linear(8·8·32 = 2048 → 300).
  check(mnistTeacher({ inputShape: [32, 32, 3] }), 481_214 + 2 * 16 * 25 + (2048 - 1568) * 300, [[
    null,
    10,
  ]]);
  check(mnistStudent({ inputShape: [32, 32, 3] }), 31_562 + 2 * 16 * 9 + (4096 - 3136) * 10, [[
    null,
    10,
  ]]);
});

Deno.test("same seed, same weights; other seed, other weights", () => {
  const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  const a = weights(cifarLightNN({ seed: 42 }));
  const b = weights(cifarLightNN({ seed: 42 }));
  const c = weights(cifarLightNN({ seed: 43 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], c[0]);
  // PyTorch's default bound for the first conv: 1/√(3·3·3).
  const bound = 1 / Math.sqrt(27);
  assert.ok(a[0].every((v) => Math.abs(v) <= bound + 1e-7));
  assert.ok(Math.max(...a[0].map(Math.abs)) > 0.9 * bound);
});

Deno.test("teacherEnsemble: softmax of its logits is the teachers' mean probability", () => {
  const a = mlpStudent({ seed: 1, name: "mlp_a" });
  const b = mlpStudent({ seed: 2, name: "mlp_b" });
  const ensemble = teacherEnsemble([a, b]);
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 3);
  const mean = tf.div(
    tf.add(tf.softmax(a.predict(x) as tf.Tensor), tf.softmax(b.predict(x) as tf.Tensor)),
    2,
  );
  const got = tf.softmax(ensemble.predict(x) as tf.Tensor);
  const diff = tf.max(tf.abs(tf.sub(got, mean))).dataSync()[0];
  assert.ok(diff < 1e-6, `max difference ${diff}`);
  assert.equal(countTrainableParams(ensemble), 2 * 50_890);
  assert.throws(
    () => teacherEnsemble([a, tabularTeacher()]),
    /teacher tabular_teacher takes inputs \[6\], but mlp_a takes \[28,28,1\]/,
  );
});
