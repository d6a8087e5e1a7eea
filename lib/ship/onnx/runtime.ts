/**
 * ONNX files run by ONNX Runtime's Node binding (npm onnxruntime-node, which carries its CPU
 * library for Linux, macOS and Windows in the package; Deno loads it as a Node-API addon). The
 * binding is imported on first use, so importing the library does not load a native runtime that
 * most notebooks never call.
 */
import * as tf from "@tensorflow/tfjs";
import type * as Ort from "onnxruntime-node";
import { batchIndices, type Dataset, toTensors } from "../../data/dataset.ts";
import type { StoredOutput } from "../../distill/outputs.ts";
import { type Latency, latencyOf, type LatencyOptions } from "../speed.ts";

/** Options for `openOnnx`. */
export interface OnnxSessionOptions {
  /** Threads for one operator (default ONNX Runtime's: one per physical core). */
  threads?: number;
  /**
   * How far ONNX Runtime rewrites the graph on load (default "all"). From "extended" on it may
   * run a DequantizeLinear + Gemm of an int8 file as an integer matrix product on dynamically
   * quantised inputs: faster, and no longer exactly the float product of the stored weights.
   */
  graphOptimization?: "disabled" | "basic" | "extended" | "all";
}

/** A loaded ONNX model with one float32 input. */
export interface OnnxSession {
  readonly inputName: string;
  /** The input's shape without the batch axis, e.g. [28, 28, 1]. */
  readonly sampleShape: readonly number[];
  readonly outputNames: readonly string[];
  /** Each output's shape without the batch axis. */
  readonly outputShapes: Readonly<Record<string, readonly number[]>>;
  /** Runs a batch of `count` examples (row-major) and returns one output, the first by default. */
  run(x: Float32Array, count: number, output?: string): Promise<Float32Array>;
  release(): Promise<void>;
}

let runtime: Promise<typeof Ort> | undefined;

/**
 * ONNX Runtime's Node binding, or undefined where this program may not load native code: the
 * binding is a Node-API library, so it needs FFI permission, which `deno task grade`'s sandbox
 * withholds. Callers skip their ONNX Runtime work then, instead of failing on the permission.
 */
export async function loadOnnxRuntime(): Promise<typeof Ort | undefined> {
  if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") return undefined;
  return await (runtime ??= import("onnxruntime-node"));
}

/** Loads an ONNX file (or its bytes) into an ONNX Runtime CPU session. */
export async function openOnnx(
  source: string | Uint8Array,
  options: OnnxSessionOptions = {},
): Promise<OnnxSession> {
  const ort = await loadOnnxRuntime();
  if (!ort) {
    throw new Error("openOnnx: ONNX Runtime's Node binding needs FFI permission (--allow-ffi)");
  }
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    executionProviders: ["cpu"],
    graphOptimizationLevel: options.graphOptimization ?? "all",
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  const session = typeof source === "string"
    ? await ort.InferenceSession.create(source, sessionOptions)
    : await ort.InferenceSession.create(source, sessionOptions);
  const where = typeof source === "string" ? source : "the ONNX bytes";
  /** A value's shape after the batch axis; every axis must have a size. */
  const sampleDims = (meta: Ort.InferenceSession.ValueMetadata): number[] => {
    const dims = meta.isTensor ? meta.shape.slice(1) : [];
    if (!meta.isTensor || !dims.every((d): d is number => typeof d === "number")) {
      throw new Error(`${where}: "${meta.name}" must be a tensor with sizes after the batch axis`);
    }
    return dims;
  };
  if (session.inputMetadata.length !== 1) {
    throw new Error(`${where}: expected one input, found ${session.inputNames}`);
  }
  const dims = sampleDims(session.inputMetadata[0]);
  const inputName = session.inputNames[0];
  const per = dims.reduce((a, b) => a * b, 1);
  return {
    inputName,
    sampleShape: dims,
    outputNames: session.outputNames,
    outputShapes: Object.fromEntries(session.outputMetadata.map((m) => [m.name, sampleDims(m)])),
    async run(x, count, output = session.outputNames[0]) {
      if (x.length !== count * per) {
        throw new RangeError(`${where}: ${x.length} values are not ${count} inputs of [${dims}]`);
      }
      const feed = { [inputName]: new ort.Tensor("float32", x, [count, ...dims]) };
      const result = await session.run(feed, [output]);
      return result[output].data as Float32Array;
    },
    release: () => session.release(),
  };
}

/** Options for `onnxPredict`. */
export interface OnnxPredictOptions {
  /** Which output (default the first, e.g. "logits"). */
  output?: string;
  /** Examples per call (default 500). */
  batchSize?: number;
}

/** One output for every example of `data`, fed as the tfjs model is fed (normalised, NHWC). */
export async function onnxPredict(
  session: OnnxSession,
  data: Dataset,
  options: OnnxPredictOptions = {},
): Promise<StoredOutput> {
  const { output = session.outputNames[0], batchSize = 500 } = options;
  if (data.shape.join() !== session.sampleShape.join()) {
    throw new Error(
      `${data.name} holds examples of [${data.shape}], but the ONNX model reads ` +
        `[${session.sampleShape}]: export it with the default NHWC input layout`,
    );
  }
  const shape = session.outputShapes[output];
  if (!shape) throw new Error(`the ONNX model has no output "${output}" (${session.outputNames})`);
  const per = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(data.size * per);
  for (const indices of batchIndices(data.size, { batchSize })) {
    const x = tf.tidy(() => toTensors(data, indices).x.dataSync() as Float32Array);
    values.set(await session.run(x, indices.length, output), indices[0] * per);
  }
  return { values, shape };
}

/** Latency of single-example runs after warm-up, on seeded input (as `latencyBatch1` times tfjs). */
export async function onnxLatencyBatch1(
  session: OnnxSession,
  options: LatencyOptions = {},
): Promise<Latency> {
  const { calls = 200, warmup = 20 } = options;
  if (!(calls >= 1)) throw new Error(`onnxLatencyBatch1: calls must be at least 1, got ${calls}`);
  const x = tf.tidy(() =>
    tf.randomUniform([1, ...session.sampleShape], 0, 1, "float32", 11).dataSync() as Float32Array
  );
  for (let i = 0; i < warmup; i++) await session.run(x, 1);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await session.run(x, 1);
    times.push(performance.now() - t0);
  }
  return latencyOf(times);
}
