/**
 * Saves and loads models as a directory in tfjs' own format (`model.json` +
 * `weights.bin`), loadable by `tf.loadLayersModel` anywhere tfjs runs.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
// Every custom layer must be registered before a saved model that uses one can be read back.
import "../models/custom_layers.ts";
import { writeDirAtomic } from "./safe_write.ts";

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

/**
 * Writes `model` to `dir` atomically (lib/io/safe_write.ts): an interrupted save never leaves a
 * half-written model that loads.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
      };
      await Deno.writeFile(join(tmp, WEIGHTS_BIN), new Uint8Array(weights));
      await Deno.writeTextFile(join(tmp, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }));
  });
}

/** Loads a model saved by `saveModel` (or any tfjs layers model with one weights file). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const jsonPath = join(dir, MODEL_JSON);
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new Error(
      `cannot read ${jsonPath}: ${(e as Error).message}; save the model there with saveModel first`,
    );
  }
  if (!json.modelTopology || !json.weightsManifest?.length) {
    throw new Error(
      `${jsonPath} is not a tfjs layers model (no modelTopology or weightsManifest)`,
    );
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(join(dir, p))),
  );
  const expected = specs.reduce(
    (n, s) =>
      n +
      s.shape.reduce((a, b) => a * b, 1) * (s.dtype === "int32" || s.dtype === "float32" ? 4 : 1),
    0,
  );
  const weightData = tf.io.concatenateArrayBuffers(buffers.map((b) => b.slice().buffer));
  if (weightData.byteLength !== expected) {
    throw new Error(
      `${dir}: weights hold ${weightData.byteLength} bytes but model.json describes ${expected}; ` +
        `the save was interrupted or the files come from different models — save again`,
    );
  }
  return await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
}
