/**
 * `deno task train-teachers [name…]`: trains the shipped teachers
 * (lib/teachers/; all of them when no name is given) with their lessons'
 * full recipes through `fit` and writes `data/teachers/<name>/`. Every epoch is
 * checkpointed under `runs/teachers/<name>/`, so a run that is stopped (or
 * killed) continues where it was when started again with the same options;
 * the checkpoint is deleted once the teacher is written.
 *
 *   nohup deno task train-teachers deepnn > train-deepnn.log 2>&1 &
 *
 * Reduced runs, for tests and smoke runs, must write elsewhere:
 *   --epochs N --train-size N --test-size N   shrink the recipe
 *   --out DIR      teachers' folder (default data/teachers)
 *   --runs DIR     checkpoints' folder (default runs/teachers)
 *   --log-every S  seconds between progress lines when stdout is not a terminal (default 60)
 *
 *   --plot         live curves in a browser tab (scripts/teachers/live_plot.ts) at the printed address
 *   --plot-port N  with --plot: its port on 127.0.0.1 (default: a free one)
 *   --no-open      with --plot: print the address only (the default where there is no display)
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeBackend, ensureBackend } from "../../lib/backend.ts";
import { CIFAR10_ARCHIVE, ensureCifar10, loadCifar10 } from "../../lib/data/cifar10.ts";
import { type Dataset, subset } from "../../lib/data/dataset.ts";
import { writeFileAtomic } from "../../lib/fs/safe_write.ts";
import { type BatchProgress, defaultOptimizer, fit } from "../../lib/distill/fit.ts";
import type { EpochRecord } from "../../lib/distill/history.ts";
import { predictOutputs } from "../../lib/distill/outputs.ts";
import {
  isTeacherName,
  loadTeacher,
  saveTeacher,
  TEACHER_NAMES,
  type TeacherName,
  type TeacherRecipe,
  TEACHERS,
  type TrainingSitting,
} from "../../lib/teachers/mod.ts";
import { formatDuration } from "../../lib/notebook/display.ts";
import type { LivePlot } from "./live_plot.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEFAULT_OUT = join(ROOT, "data", "teachers");

interface Settings {
  epochs?: number;
  trainSize?: number;
  testSize?: number;
  out: string;
  runs: string;
  logEverySeconds: number;
  /** --plot: absent without it; `open` false with --no-open, else left to live_plot. */
  plot?: { open?: false; port?: number };
}

/** `run.json` beside the checkpoint: the recipe it belongs to and the sittings so far. */
interface RunState {
  recipe: TeacherRecipe;
  sittings: TrainingSitting[];
}

function positive(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`--${flag} ${value}: give an integer ≥ 1`);
  }
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new RangeError(`--plot-port ${value}: give a port number, or 0 for a free one`);
  }
  return n;
}

function parseSettings(): { names: TeacherName[]; settings: Settings } {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      epochs: { type: "string" },
      "train-size": { type: "string" },
      "test-size": { type: "string" },
      out: { type: "string", default: DEFAULT_OUT },
      runs: { type: "string", default: join(ROOT, "runs", "teachers") },
      "log-every": { type: "string", default: "60" },
      plot: { type: "boolean", default: false },
      "no-open": { type: "boolean", default: false },
      "plot-port": { type: "string" },
    },
  });
  const unknown = positionals.filter((n) => !isTeacherName(n));
  if (unknown.length) {
    throw new RangeError(`unknown teacher ${unknown.join(", ")}; teachers: ${TEACHER_NAMES}`);
  }
  return {
    names: positionals.length ? positionals as TeacherName[] : [...TEACHER_NAMES],
    settings: {
      epochs: positive("epochs", values.epochs),
      trainSize: positive("train-size", values["train-size"]),
      testSize: positive("test-size", values["test-size"]),
      out: values.out,
      runs: values.runs,
      logEverySeconds: positive("log-every", values["log-every"])!,
      plot: values.plot
        ? {
          open: values["no-open"] ? false : undefined,
          port: values["plot-port"] === undefined ? undefined : port(values["plot-port"]),
        }
        : undefined,
    },
  };
}

/** The CPU's model name (Linux), and the core count. */
function cpuDescription(): string {
  const cores = `${navigator.hardwareConcurrency} cores`;
  try {
    const model = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m)?.[1];
    if (model) return `${model.trim()} (${cores})`;
  } catch {
    // not Linux, or no permission: the architecture is all we can say
  }
  return `${Deno.build.arch} CPU (${cores})`;
}

/** The keys where two recipes differ, each as "key a, not b". */
function recipeDifferences(a: TeacherRecipe, b: TeacherRecipe): string[] {
  return (Object.keys(a) as (keyof TeacherRecipe)[])
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${JSON.stringify(a[k])}, not ${JSON.stringify(b[k])}`);
}

/** Reads `run.json`, refusing a checkpoint of another recipe: resuming it would mix two runs. */
async function readRunState(
  path: string,
  recipe: TeacherRecipe,
  runDir: string,
): Promise<RunState> {
  let state: RunState;
  try {
    state = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { recipe, sittings: [] };
    throw new Error(
      `${path} is unreadable (${(e as Error).message}); delete ${runDir} to start afresh`,
    );
  }
  const diff = recipeDifferences(recipe, state.recipe);
  if (diff.length) {
    throw new Error(
      `${runDir} holds an unfinished run of another recipe (this run: ${diff.join("; ")}); ` +
        `run again with that run's options to finish it, or delete ${runDir} to start afresh`,
    );
  }
  return state;
}

/**
 * Terminal progress: epoch, batch, loss, img/s and ETA as one line redrawn in
 * place on a terminal, or a line every `logEverySeconds` into a log. The ETA
 * comes from this sitting's throughput, evaluations and checkpoints included.
 */
class Progress {
  readonly #start = performance.now();
  #images = 0;
  #lastLine = -Infinity;

  constructor(
    readonly name: TeacherName,
    readonly recipe: TeacherRecipe,
    readonly checkpointDir: string,
    readonly terminal: boolean,
    readonly logEverySeconds: number,
  ) {}

  batch(p: BatchProgress): void {
    const { trainSize, batchSize, epochs } = this.recipe;
    // fit's own first batch says where the checkpoint left off.
    if (this.#images === 0 && p.epoch > 1) {
      console.log(`${this.name}: resuming at epoch ${p.epoch} from ${this.checkpointDir}`);
    }
    const inEpoch = Math.min(p.batch * batchSize, trainSize);
    this.#images += inEpoch - Math.min((p.batch - 1) * batchSize, trainSize);
    const now = performance.now();
    const interval = this.terminal ? 250 : 1000 * this.logEverySeconds;
    if (now - this.#lastLine < interval) return;
    this.#lastLine = now;
    const rate = this.#images / ((now - this.#start) / 1000);
    const left = (epochs - p.epoch) * trainSize + trainSize - inEpoch;
    const line = `${this.name} epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · ` +
      `loss ${p.loss.toFixed(4)} · ${Math.round(p.imagesPerSecond)} img/s · ETA ${
        formatDuration(left / rate)
      }`;
    if (this.terminal) this.#write(`\r${line}\x1b[K`);
    else console.log(line);
  }

  epoch(r: EpochRecord): void {
    if (this.terminal) this.#write("\r\x1b[K");
    const test = r.testAccuracy === undefined
      ? ""
      : `, test ${(100 * r.testAccuracy).toFixed(2)} %`;
    console.log(
      `${this.name} epoch ${r.epoch}/${this.recipe.epochs} done: loss ${r.loss.toFixed(4)}, ` +
        `train ${(100 * r.trainAccuracy).toFixed(2)} %${test}, ${Math.round(r.imagesPerSecond)} ` +
        `img/s, ${formatDuration(r.seconds)}; checkpoint saved in ${this.checkpointDir}`,
    );
  }

  #write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
  }
}

/** Mean cross-entropy in inference mode: the live plot's test loss, which `fit` does not compute. */
function meanCrossEntropy(model: tf.LayersModel, data: Dataset): number {
  const { values, shape: [k] } = predictOutputs(model, data, ["logits"]).logits!;
  let total = 0;
  for (let i = 0; i < data.size; i++) {
    const row = values.subarray(i * k, (i + 1) * k);
    const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
    const sum = row.reduce((a, b) => a + Math.exp(b - max), 0);
    total += max + Math.log(sum) - row[data.y[i]];
  }
  return total / data.size;
}

async function trainTeacher(
  name: TeacherName,
  settings: Settings,
  engine: string,
  cpu: string,
  plot: LivePlot | undefined,
) {
  const spec = TEACHERS[name];
  const recipe: TeacherRecipe = {
    ...spec.recipe,
    epochs: settings.epochs ?? spec.recipe.epochs,
    trainSize: settings.trainSize ?? spec.recipe.trainSize,
    testSize: settings.testSize ?? spec.recipe.testSize,
  };
  const reduced = recipeDifferences(recipe, spec.recipe);
  if (reduced.length && settings.out === DEFAULT_OUT) {
    throw new Error(
      `a reduced run (${reduced.join("; ")}) would replace the shipped teacher in ` +
        `${DEFAULT_OUT}; pass --out DIR (and --runs DIR) for it`,
    );
  }
  const runDir = join(settings.runs, name);
  const checkpointDir = join(runDir, "checkpoint");
  const runPath = join(runDir, "run.json");
  const state = await readRunState(runPath, recipe, runDir);
  console.log(
    `${name}: ${spec.recipe.lesson}; ${recipe.model}, ${recipe.epochs} epoch` +
      `${recipe.epochs > 1 ? "s" : ""} on ` +
      `${recipe.trainSize.toLocaleString("en")} images, batch ${recipe.batchSize}` +
      (reduced.length ? ` (reduced: ${reduced.join("; ")})` : ""),
  );

  const { checksum } = await ensureCifar10();
  const load = { normalization: recipe.normalization };
  const train = subset(await loadCifar10("train", load), recipe.trainSize, recipe.trainSubsetSeed);
  const test = subset(await loadCifar10("test", load), recipe.testSize, recipe.testSubsetSeed);
  console.log(`${name}: data ${train.source}; engine ${engine}; ${cpu}`);

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const current = () => state.sittings[state.sittings.length - 1];
  const updateSitting = (change: Partial<TrainingSitting>) => {
    state.sittings[state.sittings.length - 1] = { ...current(), ...change };
    return writeFileAtomic(runPath, JSON.stringify(state, null, 2) + "\n");
  };
  state.sittings.push({
    started: new Date().toISOString(),
    engine,
    cpu,
    epochs: [],
    wallSeconds: 0,
  });
  await updateSitting({});

  const model = spec.build();
  const optimizer = defaultOptimizer(recipe.learningRate);
  const progress = new Progress(
    name,
    recipe,
    checkpointDir,
    Deno.stdout.isTerminal(),
    settings.logEverySeconds,
  );
  const result = await fit({
    model,
    train,
    test,
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    seed: recipe.shuffleSeed,
    optimizer,
    checkpoint: { dir: checkpointDir },
    callbacks: {
      onBatchEnd: (p) => {
        progress.batch(p);
        plot?.pushBatch({ run: name, ...p });
      },
      // fit calls this once the epoch's checkpoint is written; a kill between that write and
      // this one only leaves the epoch out of run.json's sittings.
      onEpochEnd: async (r) => {
        await updateSitting({ epochs: [...current().epochs, r.epoch], wallSeconds: elapsed() });
        progress.epoch(r);
        plot?.pushEpoch({
          run: name,
          epoch: r.epoch,
          trainLoss: r.loss,
          testLoss: r.testAccuracy === undefined ? undefined : meanCrossEntropy(model, test),
          trainAccuracy: r.trainAccuracy,
          testAccuracy: r.testAccuracy,
        });
      },
    },
  });

  await updateSitting({ wallSeconds: elapsed() });
  const sittings = state.sittings;
  const config = optimizer.getConfig() as Record<
    "learningRate" | "beta1" | "beta2" | "epsilon",
    number
  >;
  const manifest = await saveTeacher(model, {
    name,
    recipe,
    fullRecipe: reduced.length === 0,
    optimizer: {
      className: optimizer.getClassName(),
      learningRate: config.learningRate,
      beta1: config.beta1,
      beta2: config.beta2,
      epsilon: config.epsilon,
    },
    data: {
      source: train.source,
      archive: { file: CIFAR10_ARCHIVE, ...checksum },
      trainImages: train.size,
      testImages: test.size,
    },
    history: result.history,
    testAccuracy: result.finalTestAccuracy,
    engine,
    cpu,
    date: new Date().toISOString(),
    wallSeconds: sittings.reduce((t, s) => t + s.wallSeconds, 0),
    trainingSeconds: result.history.reduce((t, r) => t + r.seconds, 0),
    sittings,
  }, { root: settings.out });
  model.dispose();
  optimizer.dispose();
  // Read back through the loader, so a teacher that would be refused is never left behind.
  (await loadTeacher(name, { root: settings.out })).model.dispose();
  await Deno.remove(runDir, { recursive: true });
  console.log(
    `${name}: test accuracy ${(100 * manifest.testAccuracy).toFixed(2)} % on ` +
      `${test.size.toLocaleString("en")} images; ${formatDuration(manifest.wallSeconds)} in ` +
      `${sittings.length} sitting${sittings.length > 1 ? "s" : ""}; weights SHA-256 ` +
      `${manifest.files["weights.bin"].sha256}; written to ${join(settings.out, name)}`,
  );
}

const { names, settings } = parseSettings();
// Imported only here, so that runs without --plot never load nodeplotlib's server.
const plot = settings.plot &&
  await (await import("./live_plot.ts")).startLivePlot(settings.plot);
if (plot) {
  console.log(`live plot: ${plot.url} (the page loads plotly.js from cdn.plot.ly: needs internet)`);
}
try {
  const engine = describeBackend(await ensureBackend());
  const cpu = cpuDescription();
  for (const name of names) await trainTeacher(name, settings, engine, cpu, plot);
} finally {
  await plot?.close();
}
