/**
 * Teachers trained once at their lesson's full recipe and shipped under
 * `data/teachers/<name>/` (`model.json`, `weights.bin`, `manifest.json`), so a
 * notebook can distil from a teacher that would take hours to train on a CPU.
 * `deno task train-teachers` writes them; `loadTeacher` refuses any file that
 * is not exactly what was written, or that no longer fits the library's model.
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { CIFAR10_UNIT_SCALE, IMAGENET_NORMALIZATION } from "../data/cifar10.ts";
import type { Normalization } from "../data/dataset.ts";
import { type Checksum, fileDigests } from "../data/download.ts";
import type { EpochRecord } from "../distill/history.ts";
import { countTrainableParams } from "../models/blocks.ts";
import { cifarDeepNN } from "../models/cifar_cnn.ts";
import { mnistTeacher } from "../models/mnist_cnn.ts";
import { loadModel, saveModel } from "../io/model_dir.ts";
import { message } from "../errors.ts";
import { repositoryPath } from "../fs/repository.ts";

/** The shipped teachers: notebook 02's (notebook 01's CNN on CIFAR-10) and notebook 04's DeepNN. */
export type TeacherName = "teacher01-cifar10" | "deepnn";

/** Everything that decides a teacher's weights, as its notebook trains it. */
export interface TeacherRecipe {
  /** Where the recipe comes from. */
  readonly lesson: string;
  /** The library call that builds the untrained model. */
  readonly model: string;
  readonly modelSeed: number;
  readonly dataset: "CIFAR-10";
  readonly normalization: Normalization;
  /** Training images, drawn with `subset(train, trainSize, trainSubsetSeed)` (all 50,000: the whole set in order). */
  readonly trainSize: number;
  readonly trainSubsetSeed: number;
  /** Test images, drawn with `subset(test, testSize, testSubsetSeed)`. */
  readonly testSize: number;
  readonly testSubsetSeed: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam via `defaultOptimizer(learningRate)`. */
  readonly learningRate: number;
  /** `fit`'s seed: epoch e shuffles with `shuffleSeed + e`. */
  readonly shuffleSeed: number;
  readonly loss: "cross-entropy on the labels";
}

export interface TeacherSpec {
  readonly recipe: TeacherRecipe;
  /** The untrained model of the recipe. */
  build(): tf.LayersModel;
}

const TEACHER01_CIFAR10: TeacherRecipe = {
  lesson: "notebook 02 (the classroom exercise closing notebook 01: its teacher on CIFAR-10)",
  model: "mnistTeacher({ inputShape: [32, 32, 3], seed: 0 })",
  modelSeed: 0,
  dataset: "CIFAR-10",
  normalization: CIFAR10_UNIT_SCALE,
  trainSize: 50_000,
  trainSubsetSeed: 1,
  testSize: 10_000,
  testSubsetSeed: 2,
  epochs: 5,
  batchSize: 100,
  learningRate: 0.001,
  shuffleSeed: 10,
  loss: "cross-entropy on the labels",
};

const DEEPNN: TeacherRecipe = {
  lesson: "notebook 04 (the PyTorch knowledge-distillation tutorial)",
  model: "cifarDeepNN({ seed: 42 })",
  modelSeed: 42,
  dataset: "CIFAR-10",
  normalization: IMAGENET_NORMALIZATION,
  trainSize: 50_000,
  trainSubsetSeed: 1,
  testSize: 10_000,
  testSubsetSeed: 2,
  epochs: 10,
  batchSize: 128,
  learningRate: 0.001,
  shuffleSeed: 10,
  loss: "cross-entropy on the labels",
};

/** Each teacher's recipe and model, in notebook order. */
export const TEACHERS: Readonly<Record<TeacherName, TeacherSpec>> = {
  "teacher01-cifar10": {
    recipe: TEACHER01_CIFAR10,
    build: () => mnistTeacher({ inputShape: [32, 32, 3], seed: TEACHER01_CIFAR10.modelSeed }),
  },
  deepnn: { recipe: DEEPNN, build: () => cifarDeepNN({ seed: DEEPNN.modelSeed }) },
};

export const TEACHER_NAMES = Object.keys(TEACHERS) as readonly TeacherName[];

/** One weight tensor as the architecture check sees it. */
export interface WeightShape {
  /** Class of the layer that owns it, e.g. `Conv2D`, `BatchNorm`. */
  readonly layer: string;
  /** The weight's own name within its layer, e.g. `kernel`, `moving_mean`. */
  readonly weight: string;
  readonly shape: readonly number[];
}

/**
 * What must agree between a saved model and the library's: layer classes and
 * weight shapes in order, outputs and parameter count. Auto-generated layer
 * names (`conv2d_7`) depend on how many layers a process built before, so they
 * are left out.
 */
export interface TeacherArchitecture {
  readonly model: string;
  readonly outputs: readonly string[];
  /** Trainable parameters, counted as PyTorch does. */
  readonly parameters: number;
  readonly weights: readonly WeightShape[];
}

/** A file of the teacher as it was written. */
export interface TeacherFile {
  readonly bytes: number;
  readonly sha256: string;
}

/** One sitting of a training run that may have been stopped and resumed. */
export interface TrainingSitting {
  /** ISO time the sitting started. */
  readonly started: string;
  /** `describeBackend` of the engine that ran it. */
  readonly engine: string;
  readonly cpu: string;
  /** Epochs completed (and checkpointed) in this sitting. */
  readonly epochs: readonly number[];
  /** Wall time from its start to its last completed epoch, evaluations and checkpoints included. */
  readonly wallSeconds: number;
}

/** What the training run records; `saveTeacher` adds the architecture and the files. */
export interface TeacherRun {
  readonly name: TeacherName;
  readonly recipe: TeacherRecipe;
  /** False for a reduced run (fewer epochs or images, e.g. a test): not a teacher to ship. */
  readonly fullRecipe: boolean;
  /** The optimizer's own configuration, as it trained. */
  readonly optimizer: {
    readonly className: string;
    readonly learningRate: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
  };
  readonly data: {
    /** The loader's statement of which pixels these are (the mirror copy or the official release). */
    readonly source: string;
    /** The archive's checksum that matched, i.e. which file the images were read from. */
    readonly archive: Checksum & { readonly file: string };
    readonly trainImages: number;
    readonly testImages: number;
  };
  readonly history: readonly EpochRecord[];
  /** Accuracy in [0, 1] on the `testImages` test images after the last epoch. */
  readonly testAccuracy: number;
  /** The engine of the last sitting (every sitting's is in `sittings`). */
  readonly engine: string;
  readonly cpu: string;
  /** ISO time the run finished. */
  readonly date: string;
  /** Wall time of all sittings together. */
  readonly wallSeconds: number;
  /** Training time of all epochs, evaluation excluded. */
  readonly trainingSeconds: number;
  readonly sittings: readonly TrainingSitting[];
}

/** `data/teachers/<name>/manifest.json`. */
export interface TeacherManifest extends TeacherRun {
  readonly format: 1;
  readonly architecture: TeacherArchitecture;
  readonly files: { readonly "model.json": TeacherFile; readonly "weights.bin": TeacherFile };
}

export interface TeacherLocation {
  /** Folder holding one subfolder per teacher; default `<repo>/data/teachers`. */
  root?: string;
}

export interface LoadedTeacher {
  /** The trained teacher, ready for inference (its outputs as the library's model has them). */
  readonly model: tf.LayersModel;
  readonly manifest: TeacherManifest;
}

const MANIFEST = "manifest.json";
const FILES = ["model.json", "weights.bin"] as const;

/** The repository's `data/teachers`, where the shipped teachers are committed. */
export function defaultTeachersDir(): string {
  return repositoryPath("data", "teachers");
}

/** The folder of teacher `name`. */
export function teacherDir(name: TeacherName, options: TeacherLocation = {}): string {
  return join(options.root ?? defaultTeachersDir(), name);
}

export function isTeacherName(name: string): name is TeacherName {
  return Object.hasOwn(TEACHERS, name);
}

/** The architecture summary of `model`. */
export function architectureOf(model: tf.LayersModel): TeacherArchitecture {
  return {
    model: model.name,
    outputs: [...model.outputNames],
    parameters: countTrainableParams(model),
    weights: model.layers.flatMap((layer) =>
      layer.weights.map((w) => ({
        layer: layer.getClassName(),
        weight: w.originalName.split("/").pop()!,
        shape: [...w.shape] as number[],
      }))
    ),
  };
}

function describeWeight(w: WeightShape | undefined): string {
  return w ? `${w.layer} ${w.weight} [${w.shape.join(", ")}]` : "nothing";
}

/** The first way `found` differs from `expected`, or undefined when they agree. */
function architectureDifference(
  found: TeacherArchitecture,
  expected: TeacherArchitecture,
): string | undefined {
  const head = (a: TeacherArchitecture) => `${a.model}, ${a.parameters.toLocaleString("en")}`;
  const prefix = `it holds ${head(found)} parameters, the library's model ${
    head(expected)
  } parameters`;
  if (found.model !== expected.model || found.parameters !== expected.parameters) return prefix;
  if (found.outputs.join() !== expected.outputs.join()) {
    return `${prefix}, but outputs [${found.outputs}] instead of [${expected.outputs}]`;
  }
  const n = Math.max(found.weights.length, expected.weights.length);
  for (let i = 0; i < n; i++) {
    const [a, b] = [found.weights[i], expected.weights[i]];
    if (describeWeight(a) !== describeWeight(b)) {
      return `${prefix}, but weight ${i + 1} is ${describeWeight(a)} instead of ${
        describeWeight(b)
      }`;
    }
  }
  return undefined;
}

const retrain = (name: TeacherName) => `retrain it with \`deno task train-teachers ${name}\``;

async function describeFile(path: string): Promise<TeacherFile> {
  const { size } = await Deno.stat(path);
  return { bytes: size, sha256: (await fileDigests(path)).sha256 };
}

/**
 * Writes `model` and its manifest to `<root>/<name>/`, replacing what was
 * there only once all three files are complete.
 */
export async function saveTeacher(
  model: tf.LayersModel,
  run: TeacherRun,
  options: TeacherLocation = {},
): Promise<TeacherManifest> {
  const dir = teacherDir(run.name, options);
  const staged = `${dir}.staged-${crypto.randomUUID()}`;
  try {
    await saveModel(model, staged);
    const [modelJson, weightsBin] = await Promise.all(
      FILES.map((f) => describeFile(join(staged, f))),
    );
    const manifest: TeacherManifest = {
      format: 1,
      ...run,
      architecture: architectureOf(model),
      files: { "model.json": modelJson, "weights.bin": weightsBin },
    };
    await Deno.writeTextFile(join(staged, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    await Deno.remove(dir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    await Deno.rename(staged, dir);
    return manifest;
  } catch (e) {
    await Deno.remove(staged, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** The library's architecture for `name` (the model is built and freed again). */
function libraryArchitecture(name: TeacherName): TeacherArchitecture {
  const model = TEACHERS[name].build();
  try {
    return architectureOf(model);
  } finally {
    model.dispose();
  }
}

async function readManifest(path: string, name: TeacherName): Promise<TeacherManifest> {
  let manifest: TeacherManifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path} is unreadable (${message(e)}); ${retrain(name)}`);
  }
  const files = manifest?.files;
  if (manifest?.format !== 1 || !manifest.architecture || !files || FILES.some((f) => !files[f])) {
    throw new Error(`${path} is not a teacher manifest (format 1 with files); ${retrain(name)}`);
  }
  return manifest;
}

/**
 * Loads shipped teacher `name` after checking that its files are the ones the
 * training run wrote (sizes and SHA-256 from the manifest) and that manifest
 * and model both have the architecture the library builds for `name` today.
 * Every refusal names the file and how to retrain. Checking the architecture
 * builds the library's model on the active backend, and so does loading:
 * choose the engine first (`ensureBackend`), as every notebook does.
 */
export async function loadTeacher(
  name: TeacherName,
  options: TeacherLocation = {},
): Promise<LoadedTeacher> {
  if (!isTeacherName(name)) {
    throw new RangeError(`no teacher named "${name}"; shipped teachers: ${TEACHER_NAMES}`);
  }
  const dir = teacherDir(name, options);
  try {
    await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(
      `${dir} does not exist: teacher ${name} was never trained here; ${retrain(name)}`,
    );
  }
  const manifestPath = join(dir, MANIFEST);
  const manifest = await readManifest(manifestPath, name);
  const expected = libraryArchitecture(name);
  const manifestDiff = manifest.name === name
    ? architectureDifference(manifest.architecture, expected)
    : `it describes teacher ${manifest.name}`;
  if (manifestDiff) {
    throw new Error(
      `${manifestPath} is for another architecture than the library's ${name}: ${manifestDiff}; ${
        retrain(name)
      }`,
    );
  }
  for (const file of FILES) {
    const path = join(dir, file);
    const want = manifest.files[file];
    let got: TeacherFile;
    try {
      got = await describeFile(path);
    } catch (e) {
      throw new Error(`${path} is unreadable (${message(e)}); ${retrain(name)}`);
    }
    if (got.bytes !== want.bytes) {
      throw new Error(
        `${path} is ${got.bytes < want.bytes ? "truncated" : "too long"}: ${got.bytes} bytes, ` +
          `${MANIFEST} says ${want.bytes}; ${retrain(name)}`,
      );
    }
    if (got.sha256 !== want.sha256) {
      throw new Error(
        `${path} is damaged or was changed: its SHA-256 is ${got.sha256}, ${MANIFEST} says ` +
          `${want.sha256}; ${retrain(name)}`,
      );
    }
  }
  let model: tf.LayersModel;
  try {
    model = await loadModel(dir);
  } catch (e) {
    throw new Error(`${message(e)} (teacher ${name}: ${retrain(name)})`, { cause: e });
  }
  const modelDiff = architectureDifference(architectureOf(model), expected);
  if (modelDiff) {
    model.dispose();
    throw new Error(
      `${join(dir, "model.json")} is for another architecture than the library's ${name}: ` +
        `${modelDiff}; ${retrain(name)}`,
    );
  }
  return { model, manifest };
}
