/**
 * The two models the demo page runs: notebook 01's MNIST CNN teacher and its one-convolution
 * student distilled from it, saved by lib/io as the browser will fetch them (teacher float32,
 * student uint8: the shipped form), the student also as an int8 ONNX file for ONNX Runtime Web,
 * with a demo.json saying how pixels become input. Reuses a directory that already holds them;
 * otherwise trains both on a small budget (about a minute on two cores), enough for a demo, not
 * the lesson's recipe.
 */
import { join } from "node:path";
import { ensureBackend } from "../../lib/backend.ts";
import { subset } from "../../lib/data/dataset.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { evaluateAccuracy } from "../../lib/distill/evaluate.ts";
import { fit } from "../../lib/distill/fit.ts";
import { hardLabels, klDivergence } from "../../lib/distill/terms.ts";
import { saveModel } from "../../lib/io/model_dir.ts";
import { exists, writeFileAtomic } from "../../lib/fs/safe_write.ts";
import type { WeightFormat } from "../../lib/io/quantise.ts";
import { mnistStudent, mnistTeacher } from "../../lib/models/mod.ts";
import { exportOnnx } from "../../lib/ship/onnx/export.ts";
import type { OnnxWeightFormat } from "../../lib/ship/onnx/graph.ts";

/** One model as demo.json lists it. */
export interface DemoModel {
  readonly name: "teacher" | "student";
  /** Folder under the models directory holding model.json + weights.bin. */
  readonly path: string;
  readonly format: WeightFormat;
  readonly weightsBytes: number;
  /** On the test images used when it was prepared (see `testImages`). */
  readonly testAccuracy: number;
}

/** A model the page also runs with ONNX Runtime Web (exportOnnx's file). */
export interface DemoOnnxModel {
  /** The tfjs model of demo.json's `models` it was exported from. */
  readonly name: "student";
  /** The .onnx file under the models directory. */
  readonly path: string;
  readonly format: OnnxWeightFormat;
  readonly bytes: number;
}

/** demo.json: what the page needs besides the model files. */
export interface DemoManifest {
  /** x' = x · scale for 0–255 pixels (MNIST_UNIT_SCALE). */
  readonly pixelScale: number;
  readonly models: readonly DemoModel[];
  readonly onnx: readonly DemoOnnxModel[];
  readonly trainImages: number;
  readonly testImages: number;
}

/** Options for `prepareDemoModels`. */
export interface PrepareOptions {
  /** Default build/demo/models. */
  dir?: string;
  /** Training images for both models (default 12,000 of the 60,000). */
  trainImages?: number;
  /** Test images for the accuracies shown on the page (default 2,000). */
  testImages?: number;
  /** Epochs for each model (default 1). */
  epochs?: number;
  /** Train again even when the directory holds models. */
  retrain?: boolean;
  log?: (line: string) => void;
}

export const DEFAULT_MODELS_DIR = new URL("../../build/demo/models", import.meta.url).pathname;

/** Returns the demo manifest, training and saving both models first when they are missing. */
export async function prepareDemoModels(options: PrepareOptions = {}): Promise<DemoManifest> {
  const {
    dir = DEFAULT_MODELS_DIR,
    trainImages = 12_000,
    testImages = 2_000,
    epochs = 1,
    retrain = false,
    log = console.log,
  } = options;
  const manifestPath = join(dir, "demo.json");
  if (!retrain && await exists(manifestPath)) {
    const saved: DemoManifest = JSON.parse(await Deno.readTextFile(manifestPath));
    if (saved.onnx) {
      log(`demo: reusing the models in ${dir} (--retrain trains them again)`);
      return saved;
    }
    log(`demo: the models in ${dir} predate the ONNX file; training them again`);
  }
  await ensureBackend();
  const [trainAll, testAll] = await Promise.all([loadMnist("train"), loadMnist("test")]);
  const train = subset(trainAll, trainImages, 1);
  const test = subset(testAll, testImages, 2);
  log(`demo: training the teacher on ${trainImages} images, ${epochs} epoch(s)…`);
  const teacher = mnistTeacher({ seed: 0 });
  await fit({ model: teacher, train, epochs, batchSize: 100, seed: 3 });
  log(`demo: distilling the student from it…`);
  const student = mnistStudent({ seed: 1 });
  await fit({
    model: student,
    teacher,
    train,
    terms: [hardLabels(0.5), klDivergence({ temperature: 2, weight: 0.5 })],
    epochs,
    batchSize: 100,
    seed: 4,
  });
  // The student's ONNX file, exported from the trained model itself (int8 as the tfjs copy is
  // uint8: the shipped form in both runtimes).
  const onnxFile = await exportOnnx(student, join(dir, "student.onnx"), {
    weights: "int8",
    outputs: ["logits"],
  });
  const onnx: DemoOnnxModel[] = [
    { name: "student", path: "student.onnx", format: "int8", bytes: onnxFile.bytes },
  ];
  const models: DemoModel[] = [];
  for (
    const [name, model, format] of [
      ["teacher", teacher, "float32"],
      ["student", student, "uint8"],
    ] as const
  ) {
    await saveModel(model, join(dir, name), { weights: format });
    models.push({
      name,
      path: name,
      format,
      weightsBytes: (await Deno.stat(join(dir, name, "weights.bin"))).size,
      testAccuracy: evaluateAccuracy(model, test),
    });
    model.dispose();
  }
  const manifest: DemoManifest = { pixelScale: 1 / 255, models, onnx, trainImages, testImages };
  await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2));
  log(
    `demo: saved ${models.map((m) => `${m.name} (${m.format}, ${m.weightsBytes} B)`)} and ` +
      `${onnx.map((m) => `${m.path} (${m.format}, ${m.bytes} B)`)} in ${dir}`,
  );
  return manifest;
}
