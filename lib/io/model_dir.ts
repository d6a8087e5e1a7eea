/**
 * Saves and loads models as a directory in tfjs' own format (`model.json` +
 * `weights.bin`), loadable by `tf.loadLayersModel` anywhere tfjs runs, with weights as float32,
 * float16 or uint8 (lib/io/quantise.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
// Every custom layer must be registered before a saved model that uses one can be read back.
import "../models/custom_layers.ts";
import { writeDirAtomic } from "../fs/safe_write.ts";
import { encodeWeights, manifestBytes, WEIGHT_FORMATS, type WeightFormat } from "./quantise.ts";
import { message } from "../errors.ts";

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

/** Options for `saveModel`. */
export interface SaveModelOptions {
  /** How float weights are stored (default "float32", as trained). */
  weights?: WeightFormat;
}

/** SHA-256 of bytes, as lowercase hex. */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes `model` to `dir` atomically (lib/fs/safe_write.ts): an interrupted save never leaves a
 * half-written model that loads. `weights: "float16" | "uint8"` stores the float weights
 * quantised in tfjs' manifest format. model.json also records the weights file's SHA-256
 * (`weightsSha256`, which tfjs ignores), so a file damaged in place is caught by `loadModel`.
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<void> {
  const format = options.weights ?? "float32";
  if (!WEIGHT_FORMATS.includes(format)) {
    throw new Error(`saveModel: unknown weights format "${format}"; use one of ${WEIGHT_FORMATS}`);
  }
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      const raw = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const { specs, data } = encodeWeights(artifacts.weightSpecs ?? [], raw, format);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
        weightsSha256: { [WEIGHTS_BIN]: await sha256(data) },
      };
      await Deno.writeFile(join(tmp, WEIGHTS_BIN), data);
      await Deno.writeTextFile(join(tmp, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }));
  });
}

/**
 * Loads a model saved by `saveModel` in any weight format (or any tfjs layers model): quantised
 * weights are dequantised to float32 by tfjs. A weights file whose size or SHA-256 does not match
 * model.json is rejected, naming the file.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const jsonPath = join(dir, MODEL_JSON);
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    weightsSha256?: Record<string, string>;
  };
  try {
    json = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new Error(
      `cannot read ${jsonPath}: ${message(e)}; save the model there with saveModel first`,
    );
  }
  if (!json.modelTopology || !json.weightsManifest?.length) {
    throw new Error(
      `${jsonPath} is not a tfjs layers model (no modelTopology or weightsManifest)`,
    );
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const buffers = await Promise.all(paths.map(async (p) => {
    try {
      return await Deno.readFile(join(dir, p));
    } catch (e) {
      throw new Error(
        `cannot read ${join(dir, p)}, which ${jsonPath} lists: ${message(e)}; save again`,
      );
    }
  }));
  const expected = manifestBytes(specs);
  const weightData = tf.io.concatenateArrayBuffers(buffers.map((b) => b.slice().buffer));
  if (weightData.byteLength !== expected) {
    const files = paths.map((p) => join(dir, p)).join(", ");
    throw new Error(
      `${files}: weights hold ${weightData.byteLength} bytes but model.json describes ${expected}; ` +
        `the save was interrupted or the files come from different models — save again`,
    );
  }
  // Sizes first: a truncated file gets the more telling message.
  for (const [i, p] of paths.entries()) {
    const want = json.weightsSha256?.[p];
    if (want && want !== await sha256(buffers[i])) {
      throw new Error(
        `${join(dir, p)} is damaged or was changed: its SHA-256 does not match ${jsonPath}; ` +
          `save the model again`,
      );
    }
  }
  return await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
}
