/**
 * 20 seeded Adam steps of a small batch-norm CNN give the same losses with our
 * wasm speed kernels as with the stock kernels (wasm with the replacements
 * switched off, and the cpu backend). The net exercises every replacement:
 * batch norm (Tile, Mean, Sum, Identity, Cast), max pooling (MaxPoolGrad), a
 * one-channel input (its input gradient is a one-output Conv2D) and dense
 * layers (transposed BatchMatMul).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { pathCounts } from "./fixtures/trace.ts";
import { normalValues } from "./fixtures/values.ts";
import {
  registerWasmTrainingKernels,
  setWasmSpeedKernels,
  WASM_SPEED_KERNELS,
} from "../wasm/kernels/register.ts";

const STEPS = 20;
/** Largest allowed (measured: ≤ 5e-7) |loss_ours − loss_ref| / max(1, |loss_ref|) over the 20 steps. */
const LOSS_TOL = 1e-5;

function smallBnCnn(): tf.LayersModel {
  const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [12, 12, 1] });
  let x = tf.layers.conv2d({
    filters: 8,
    kernelSize: 3,
    padding: "same",
    kernelInitializer: seeded(1),
  }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({
    filters: 8,
    kernelSize: 3,
    padding: "same",
    activation: "relu",
    kernelInitializer: seeded(2),
  }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 16, kernelInitializer: seeded(3) }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 4, kernelInitializer: seeded(4) }).apply(x);
  return tf.model({ inputs: input, outputs: logits as tf.SymbolicTensor });
}

/** The losses of `STEPS` Adam steps on one fixed batch, on the current backend. */
function trainLosses(): number[] {
  const n = 16;
  const model = smallBnCnn();
  const x = tf.tensor4d(normalValues(n * 144, 11), [
    n,
    12,
    12,
    1,
  ]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 4), "int32"), 4);
  const optimizer = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
      true,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  optimizer.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return losses;
}

function worst(ours: number[], ref: number[]): number {
  return Math.max(...ours.map((v, i) => Math.abs(v - ref[i]) / Math.max(1, Math.abs(ref[i]))));
}

Deno.test("20 Adam steps: our wasm kernels give the stock kernels' losses", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const before = [pathCounts("Tile").fast, pathCounts("MaxPoolGrad").fast];
  const ours = trainLosses();
  assert.ok(pathCounts("Tile").fast > before[0], "the fast Tile ran");
  assert.ok(pathCounts("MaxPoolGrad").fast > before[1], "the fast MaxPoolGrad ran");

  setWasmSpeedKernels([]);
  let stockWasm: number[];
  try {
    stockWasm = trainLosses();
  } finally {
    setWasmSpeedKernels(WASM_SPEED_KERNELS);
  }
  await tf.setBackend("cpu");
  const cpu = trainLosses();

  assert.ok(ours.every(Number.isFinite), `finite losses: ${ours}`);
  assert.ok(ours[STEPS - 1] < ours[0] * 0.8, `the loss falls: ${ours[0]} → ${ours[STEPS - 1]}`);
  const vsWasm = worst(ours, stockWasm);
  const vsCpu = worst(ours, cpu);
  assert.ok(vsWasm <= LOSS_TOL, `vs stock wasm: worst relative loss difference ${vsWasm}`);
  assert.ok(vsCpu <= LOSS_TOL, `vs cpu: worst relative loss difference ${vsCpu}`);
  // The stock kernels themselves differ from cpu by float rounding only; ours
  // must not be much further off than that.
  const stockVsCpu = worst(stockWasm, cpu);
  assert.ok(stockVsCpu <= LOSS_TOL, `stock wasm vs cpu: ${stockVsCpu}`);
});
