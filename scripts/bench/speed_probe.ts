/**
 * Training-speed probe: a library model (the notebook-01 teacher by default, or
 * notebook 04's DeepNN or LightNN) on random data, one training step as `fit` takes it
 * (cross-entropy, the default Adam), on the wasm backend with our kernels and,
 * where the machine has a proved library, the native layer (oneDNN for the
 * convolutions and matrix products); `KD_NATIVE=0` gives the pure wasm path.
 * The header says which path ran.
 *
 *   deno run -A scripts/bench/speed_probe.ts [--model teacher|deepnn|lightnn] [--batches 10] [--warmup 2]
 *     [--profile [--shapes]] [--cpu] [--backend cpu]
 *
 * --profile times every kernel (self time, nested kernel calls excluded) and
 * prints the costliest ones per training step, native ones marked, and how
 * often the native kernels ran or fell back to wasm; --shapes splits each
 * kernel's time by its inputs' shapes. --cpu measures the process's CPU time
 * (every thread's) instead of wall time: on a shared machine other processes stretch
 * wall time, not CPU time; with `KD_NATIVE_THREADS=1` it is the work of one step.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import process from "node:process";
import {
  KernelTimer,
  nativeLayerInfo,
  type TraceCounts,
  traceSince,
  traceSnapshot,
} from "@kd/engine";
import { describeBackend, ensureBackend } from "../../lib/backend.ts";
import { defaultOptimizer } from "../../lib/distill/fit.ts";
import { crossEntropy } from "../../lib/distill/losses.ts";
import { forward } from "../../lib/distill/outputs.ts";
import { cifarDeepNN, cifarLightNN, mnistTeacher } from "../../lib/models/mod.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    batches: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    backend: { type: "string", default: "wasm" },
    profile: { type: "boolean", default: false },
    shapes: { type: "boolean", default: false },
    cpu: { type: "boolean", default: false },
    model: { type: "string", default: "teacher" },
  },
});
const MODELS: Record<string, { build: () => tf.LayersModel; shape: number[]; batch: number }> = {
  teacher: { build: () => mnistTeacher({ seed: 0 }), shape: [28, 28, 1], batch: 100 },
  deepnn: { build: () => cifarDeepNN({ seed: 0 }), shape: [32, 32, 3], batch: 128 },
  lightnn: { build: () => cifarLightNN({ seed: 0 }), shape: [32, 32, 3], batch: 128 },
};
const chosen = MODELS[opts.model];
if (chosen === undefined) {
  throw new Error(`--model ${opts.model}: choose one of ${Object.keys(MODELS).join(", ")}`);
}
const BATCH = chosen.batch;
const batches = Number(opts.batches);
const warmup = Number(opts.warmup);

// Through the library's selection, so KD_WASM_THREADS and our kernels apply as in training.
const backend = await ensureBackend({ prefer: opts.backend });
if (backend.name !== opts.backend) {
  throw new Error(`backend ${opts.backend} failed: ${describeBackend(backend)}`);
}
console.log(describeBackend(backend));
const layer = backend.name === "wasm" ? nativeLayerInfo() : undefined;
const path = backend.name !== "wasm" ? backend.name : layer ? "native" : "wasm";
console.log(
  layer
    ? `path: native (${layer.kernels.join(", ")} on ${layer.description}, ` +
      `${layer.threads} thread(s); every other kernel on wasm)`
    : `path: ${path} only, no native layer (the backend line says why)`,
);
const isNative = (kernel: string) => layer !== undefined && layer.kernels.includes(kernel);
/** Milliseconds of the chosen clock: wall time, or the process's CPU time with --cpu. */
const clock = opts.cpu
  ? () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  : () => performance.now();
const timer = opts.profile ? new KernelTimer(opts.shapes, clock) : undefined;
timer?.install(opts.backend);

const model = chosen.build();
const optimizer = defaultOptimizer(1e-3);
const x = tf.randomNormal([BATCH, ...chosen.shape], 0, 1, "float32", 1);
const y = tf.randomUniform([BATCH], 0, 10, "int32", 2) as tf.Tensor1D;
const trainStep = (): number =>
  tf.tidy(() =>
    optimizer.minimize(
      () => crossEntropy(forward(model, x, true).logits!, y),
      true,
    )!.dataSync()[0]
  );

const stepMs: number[] = [];
let loss = NaN;
let traceBefore: TraceCounts = traceSnapshot();
for (let i = 0; i < warmup + batches; i++) {
  if (i === warmup) {
    timer?.reset();
    traceBefore = traceSnapshot();
  }
  const t0 = clock();
  loss = trainStep();
  if (i >= warmup) stepMs.push(clock() - t0);
}
const totalMs = stepMs.reduce((a, b) => a + b, 0);
const perStep = totalMs / batches;
console.log(
  `${path}: ${batches} batches of ${BATCH} in ${(totalMs / 1000).toFixed(2)} s: ` +
    `${(BATCH * batches / (totalMs / 1000)).toFixed(1)} img/s${opts.cpu ? " of CPU time" : ""} ` +
    `(${perStep.toFixed(1)} ms/step, min ${Math.min(...stepMs).toFixed(1)} ms; ` +
    `final loss ${loss.toFixed(3)}; tensors alive ${tf.memory().numTensors})`,
);

if (timer) {
  const rows = [...timer.self.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((a, [, e]) => a + e.ms, 0) / batches;
  const calls = rows.reduce((a, [, e]) => a + e.calls, 0) / batches;
  console.log(
    `kernel self time ${kernelMs.toFixed(1)} ms/step of ${perStep.toFixed(1)} ms ` +
      `in ${calls} kernel calls (rest: engine, tape, JS glue)`,
  );
  for (const [name, e] of rows.slice(0, opts.shapes ? 40 : 15)) {
    const ms = e.ms / batches;
    const tag = isNative(name.split(" ")[0]) ? " [native]" : "";
    console.log(
      `  ${name.padEnd(24)} ${ms.toFixed(1).padStart(7)} ms/step ` +
        `${(100 * ms / perStep).toFixed(1).padStart(5)}%  ${e.calls / batches} calls/step${tag}`,
    );
  }
  if (layer) {
    // A native kernel hands what it does not cover to wasm: the profile must show how much.
    const trace = traceSince(traceBefore);
    const callsPerStep = (path: string, kernels: readonly string[]) =>
      kernels.reduce((n, k) => n + (trace[k]?.[path] ?? 0), 0) / batches;
    const ran = layer.kernels.map((k) => `${k} ${callsPerStep("native", [k])}`).join(", ");
    console.log(
      `native calls/step: ${ran}; fell back to wasm ${
        callsPerStep("native-fallback", layer.kernels)
      }; ` +
        `left to wasm for their size ${callsPerStep("native-small", layer.kernels)}`,
    );
  }
}
