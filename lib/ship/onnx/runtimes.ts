/**
 * One model shipped two ways, measured side by side on one dataset: TensorFlow.js with its
 * float32 files, and ONNX Runtime with float32 and int8 ONNX files. Each row gives the bytes a
 * user downloads, the batch-1 latency, the accuracy, and how the ONNX logits compare with tfjs's.
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { Dataset } from "../../data/dataset.ts";
import { accuracyOf, classesOf } from "../../distill/evaluate.ts";
import { predictOutputs } from "../../distill/outputs.ts";
import { savedSizes } from "../size.ts";
import { latencyBatch1, type LatencyOptions } from "../speed.ts";
import { compareWithOnnx } from "./compare.ts";
import { exportOnnx } from "./export.ts";
import type { OnnxWeightFormat } from "./graph.ts";
import { onnxLatencyBatch1, openOnnx } from "./runtime.ts";

/** One way of running one model. */
export interface RuntimeRow {
  readonly model: string;
  readonly runtime: "TensorFlow.js" | "ONNX Runtime";
  /** How the file stores weights. */
  readonly format: "float32" | OnnxWeightFormat;
  /** The files a user downloads (tfjs: model.json + weights.bin). */
  readonly bytes: number;
  /** Median latency of single-image calls, ms. */
  readonly latencyMs: number;
  readonly accuracy: number;
  readonly examples: number;
  /** Examples given tfjs's class (all of them on the tfjs row). */
  readonly sameClass: number;
  /** Largest |logit − tfjs's logit| (0 on the tfjs row). */
  readonly maxAbsDiff: number;
}

/** Options for `compareRuntimes`. */
export interface CompareRuntimesOptions {
  /** The model's name in the rows (default `model.name`). */
  name?: string;
  /** Where to write the ONNX files (default a temporary directory, removed afterwards). */
  dir?: string;
  /** ONNX weight formats to measure (default float32 and int8). */
  formats?: readonly OnnxWeightFormat[];
  /** Latency calls for both runtimes (default 200 after 20 warm-up calls). */
  latency?: LatencyOptions;
}

/** Measures `model` in tfjs and as ONNX files in ONNX Runtime, on every example of `data`. */
export async function compareRuntimes(
  model: tf.LayersModel,
  data: Dataset,
  options: CompareRuntimesOptions = {},
): Promise<RuntimeRow[]> {
  const { name = model.name, formats = ["float32", "int8"], latency = {} } = options;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "kd-onnx-" });
  try {
    const tfjs = predictOutputs(model, data, ["logits"]).logits!;
    const [saved] = await savedSizes(model, { formats: ["float32"] });
    const rows: RuntimeRow[] = [{
      model: name,
      runtime: "TensorFlow.js",
      format: "float32",
      bytes: saved.totalBytes,
      latencyMs: latencyBatch1(model, latency).medianMs,
      accuracy: accuracyOf(classesOf(tfjs), data.y),
      examples: data.size,
      sameClass: data.size,
      maxAbsDiff: 0,
    }];
    for (const format of formats) {
      const path = join(dir, `${name.replace(/[^\w.-]+/g, "_")}.${format}.onnx`);
      const file = await exportOnnx(model, path, { weights: format, outputs: ["logits"] });
      const session = await openOnnx(path);
      try {
        const agreement = await compareWithOnnx(tfjs, session, data);
        rows.push({
          model: name,
          runtime: "ONNX Runtime",
          format,
          bytes: file.bytes,
          latencyMs: (await onnxLatencyBatch1(session, latency)).medianMs,
          accuracy: agreement.onnxAccuracy,
          examples: data.size,
          sameClass: agreement.sameClass,
          maxAbsDiff: agreement.maxAbsDiff,
        });
      } finally {
        await session.release();
      }
    }
    return rows;
  } finally {
    if (!options.dir) await Deno.remove(dir, { recursive: true });
  }
}
