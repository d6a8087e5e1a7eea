/**
 * The wasm backend on 1 thread against N threads (engine/wasm/threads.ts): each
 * run is a child process (a backend starts once per process) with
 * `KD_WASM_THREADS` set; runs alternate between the settings.
 *
 *   deno run -A scripts/bench/wasm_threads_probe.ts [--threads 1,2] [--rounds 3]
 *     [--models teacher,deep] [--batches 8] [--warmup 2] [--agree 20]
 *
 * Prints per-setting medians of training img/s (through `fit`, like
 * scripts/bench/main.ts: notebook-01 teacher on MNIST batch 100, notebook-04 DeepNN on
 * random CIFAR-shaped images batch 128) and compares the losses of `--agree`
 * seeded teacher steps on MNIST between the settings.
 */
import { parseArgs } from "node:util";
import { describeBackend, ensureBackend } from "../../lib/backend.ts";
import { createDataset, type Dataset, select } from "../../lib/data/dataset.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { IMAGENET_NORMALIZATION } from "../../lib/data/cifar10.ts";
import { fit } from "../../lib/distill/fit.ts";
import { cifarDeepNN, mnistTeacher } from "../../lib/models/mod.ts";
import { median } from "../../lib/stats.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    child: { type: "string" }, // "speed:<model>" or "agree"
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "3" },
    models: { type: "string", default: "teacher,deep" },
    batches: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    agree: { type: "string", default: "20" },
  },
});

function firstN(ds: Dataset, n: number): Dataset {
  return select(ds, Int32Array.from({ length: Math.min(n, ds.size) }, (_, i) => i));
}

function randomCifar(n: number): Dataset {
  const x = new Uint8Array(n * 32 * 32 * 3);
  let s = 12345;
  for (let i = 0; i < x.length; i++) x[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return createDataset({
    name: "cifar10-random",
    x,
    y: Uint8Array.from({ length: n }, (_, i) => i % 10),
    shape: [32, 32, 3],
    classNames: [..."0123456789"],
    source: "random",
    normalization: IMAGENET_NORMALIZATION,
  });
}

/** Child: per-batch losses and times of one epoch through `fit`. */
async function child(mode: string): Promise<void> {
  const choice = await ensureBackend();
  const model = mode === "speed:deep" ? "deep" : "teacher";
  const batch = model === "deep" ? 128 : 100;
  const steps = mode === "agree" ? Number(opts.agree) : Number(opts.warmup) + Number(opts.batches);
  const train = model === "deep"
    ? randomCifar(steps * batch)
    : firstN(await loadMnist("train"), steps * batch);
  const losses: number[] = [];
  const ends: number[] = [];
  const t0 = performance.now();
  await fit({
    model: model === "deep" ? cifarDeepNN() : mnistTeacher({ seed: 0 }),
    train,
    epochs: 1,
    batchSize: batch,
    shuffle: false,
    seed: 0,
    callbacks: {
      onBatchEnd: (p) => {
        losses.push(p.loss);
        ends.push(performance.now() - t0);
      },
    },
  });
  const w = Number(opts.warmup);
  const imagesPerSecond = mode === "agree"
    ? NaN
    : (ends.length - w) * batch / ((ends[ends.length - 1] - ends[w - 1]) / 1000);
  console.log(JSON.stringify({ backend: describeBackend(choice), losses, imagesPerSecond }));
}

interface ChildResult {
  backend: string;
  losses: number[];
  imagesPerSecond: number;
}

async function run(mode: string, threads: number): Promise<ChildResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, `--child=${mode}`, ...passThrough()],
    env: { KD_WASM_THREADS: String(threads), KD_BACKEND: "wasm" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (!out.success) throw new Error(`child ${mode} (${threads} threads) failed: ${text}`);
  return JSON.parse(text);
}

function passThrough(): string[] {
  return [`--batches=${opts.batches}`, `--warmup=${opts.warmup}`, `--agree=${opts.agree}`];
}

if (opts.child !== undefined) {
  await child(opts.child);
} else {
  const threads = opts.threads.split(",").map(Number);
  const models = opts.models.split(",").filter((m) => m !== "");
  for (const model of models) {
    const rates = new Map<number, number[]>(threads.map((t) => [t, []]));
    for (let r = 0; r < Number(opts.rounds); r++) {
      // Alternate the order each round so that drifting load hits both alike.
      for (const t of r % 2 ? [...threads].reverse() : threads) {
        const res = await run(`speed:${model}`, t);
        rates.get(t)!.push(res.imagesPerSecond);
        console.log(
          `${model} ${t} thread(s): ${res.imagesPerSecond.toFixed(1)} img/s  [${res.backend}]`,
        );
      }
    }
    for (const t of threads) {
      const xs = rates.get(t)!;
      console.log(
        `${model} ${t} thread(s): median ${median(xs).toFixed(1)} img/s over ` +
          `[${xs.map((x) => x.toFixed(1)).join(", ")}]`,
      );
    }
  }
  if (Number(opts.agree) > 0) {
    const results = [];
    for (const t of threads) results.push({ t, ...(await run("agree", t)) });
    const base = results[0];
    for (const r of results.slice(1)) {
      let maxRel = 0;
      let identical = 0;
      base.losses.forEach((l, i) => {
        const rel = Math.abs(r.losses[i] - l) / Math.abs(l);
        maxRel = Math.max(maxRel, rel);
        if (r.losses[i] === l) identical++;
      });
      console.log(
        `agreement ${base.t} vs ${r.t} threads over ${base.losses.length} teacher steps: ` +
          `max relative loss difference ${maxRel.toExponential(2)}, ` +
          `${identical}/${base.losses.length} bit-identical; final losses ` +
          `${base.losses.at(-1)} vs ${r.losses.at(-1)}`,
      );
    }
  }
}
