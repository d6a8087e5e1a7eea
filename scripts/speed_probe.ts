/**
 * Training-speed probe: the lesson-A teacher on random 28×28 data, batch 100,
 * Adam 1e-3, on the wasm backend with our conv-gradient kernels.
 *
 *   deno run -A scripts/speed_probe.ts [--batches 10] [--warmup 2] [--profile] [--backend cpu]
 *
 * --profile times every kernel (self time, nested kernel calls excluded) and
 * prints the costliest ones per training step.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { registerWasmTrainingKernels } from "../lib/kernels/register.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    batches: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    backend: { type: "string", default: "wasm" },
    profile: { type: "boolean", default: false },
  },
});
const BATCH = 100;
const batches = Number(opts.batches);
const warmup = Number(opts.warmup);

function teacher(): tf.LayersModel {
  const convBnRelu = (filters: number, kernelSize: number, inputShape?: number[]) => [
    tf.layers.conv2d({ filters, kernelSize, padding: "same", inputShape }),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
  ];
  const model = tf.sequential({
    layers: [
      ...convBnRelu(16, 5, [28, 28, 1]),
      ...convBnRelu(16, 3),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...convBnRelu(32, 3),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 300, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  return model;
}

/** Per-kernel self time, gathered by wrapping every kernel of the backend. */
class KernelTimer {
  readonly self = new Map<string, { ms: number; calls: number }>();
  private stack: number[] = []; // child time accumulated per open call

  install(backend: string): void {
    for (const config of tf.getKernelsForBackend(backend)) {
      const inner = config.kernelFunc;
      const name = config.kernelName;
      const wrapped: tf.KernelFunc = (args) => {
        const t0 = performance.now();
        this.stack.push(0);
        try {
          return inner(args);
        } finally {
          const total = performance.now() - t0;
          const children = this.stack.pop() ?? 0;
          if (this.stack.length > 0) this.stack[this.stack.length - 1] += total;
          const entry = this.self.get(name) ?? { ms: 0, calls: 0 };
          entry.ms += total - children;
          entry.calls++;
          this.self.set(name, entry);
        }
      };
      tf.unregisterKernel(name, backend);
      tf.registerKernel({ ...config, kernelFunc: wrapped });
    }
  }

  reset(): void {
    this.self.clear();
  }
}

if (opts.backend === "wasm") {
  await import("@tensorflow/tfjs-backend-wasm");
  registerWasmTrainingKernels();
}
if (!(await tf.setBackend(opts.backend))) throw new Error(`backend ${opts.backend} failed`);
const timer = opts.profile ? new KernelTimer() : undefined;
timer?.install(opts.backend);

const model = teacher();
const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, "float32", 1);
const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, "int32", 2), 10);

const stepMs: number[] = [];
let loss = NaN;
for (let i = 0; i < warmup + batches; i++) {
  if (i === warmup) timer?.reset();
  const t0 = performance.now();
  loss = await model.trainOnBatch(x, y) as number;
  if (i >= warmup) stepMs.push(performance.now() - t0);
}
const totalMs = stepMs.reduce((a, b) => a + b, 0);
const perStep = totalMs / batches;
console.log(
  `${opts.backend}: ${batches} batches of ${BATCH} in ${(totalMs / 1000).toFixed(2)} s: ` +
    `${(BATCH * batches / (totalMs / 1000)).toFixed(1)} img/s ` +
    `(${perStep.toFixed(0)} ms/step, min ${Math.min(...stepMs).toFixed(0)} ms; ` +
    `final loss ${loss.toFixed(3)}; tensors alive ${tf.memory().numTensors})`,
);

if (timer) {
  const rows = [...timer.self.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((a, [, e]) => a + e.ms, 0) / batches;
  console.log(
    `kernel self time ${kernelMs.toFixed(0)} ms/step of ${perStep.toFixed(0)} ms ` +
      `(rest: engine, tape, JS glue)`,
  );
  for (const [name, e] of rows.slice(0, 15)) {
    const ms = e.ms / batches;
    console.log(
      `  ${name.padEnd(24)} ${ms.toFixed(1).padStart(7)} ms/step ` +
        `${(100 * ms / perStep).toFixed(1).padStart(5)}%  ${e.calls / batches} calls/step`,
    );
  }
}
