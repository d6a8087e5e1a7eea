/**
 * One converter per tfjs layer class the lesson models use: each adds the layer's ONNX nodes to
 * the graph and returns the tensor standing for the layer's output. A class missing here is
 * refused by export.ts, by name.
 *
 * Batch norm is written as a BatchNormalization node, not folded into the convolution before it:
 * the file then holds the tfjs weights as they are (γ, β and the moving statistics can be read
 * and checked one for one), the node also covers a batch norm that follows no convolution, and
 * ONNX Runtime folds Conv + BatchNormalization itself when it loads the graph, so folding here
 * would save nothing at run time.
 */
import * as tf from "@tensorflow/tfjs";
import { type HeldTensor, type OnnxGraphBuilder } from "./graph.ts";
import { afterPermute, CHANNELS_FIRST, identityOrder } from "./layout.ts";

/** Adds one layer to the graph, given the tensor it reads. */
export type LayerConverter = (
  layer: tf.layers.Layer,
  input: HeldTensor,
  graph: OnnxGraphBuilder,
) => HeldTensor;

function fail(layer: tf.layers.Layer, why: string): never {
  throw new Error(`ONNX export: layer "${layer.name}" (${layer.getClassName()}) ${why}`);
}

function config(layer: tf.layers.Layer): tf.serialization.ConfigDict {
  return layer.getConfig();
}

/** A config entry that is a number or a list of numbers, as a list of `length` numbers. */
function numbers(layer: tf.layers.Layer, key: string, length: number): number[] {
  const v = config(layer)[key];
  const list = typeof v === "number" ? new Array<number>(length).fill(v) : v;
  if (!Array.isArray(list) || list.length !== length || !list.every((n) => Number.isInteger(n))) {
    fail(layer, `has ${key} ${JSON.stringify(v)}; expected ${length} integers`);
  }
  return list as number[];
}

/** The values of the weight `suffix` ("kernel", "gamma", …), a copy, optionally transposed. */
function weightValues(layer: tf.layers.Layer, suffix: string, perm?: number[]): Float32Array {
  const w = layer.weights.find((v) => v.originalName.split("/").pop() === suffix);
  if (!w) fail(layer, `has no weight "${suffix}" (it has ${layer.weights.map((v) => v.name)})`);
  return tf.tidy(() => {
    const value = w.read();
    return Float32Array.from((perm ? tf.transpose(value, perm) : value).dataSync());
  });
}

function requireRank(layer: tf.layers.Layer, input: HeldTensor, ranks: readonly number[]): void {
  if (!ranks.includes(input.order.length)) {
    fail(layer, `reads a rank-${input.order.length} tensor; the exporter handles rank ${ranks}`);
  }
}

const ACTIVATIONS: Record<string, string | null> = {
  linear: null,
  relu: "Relu",
  tanh: "Tanh",
  sigmoid: "Sigmoid",
};

/** The node of a layer's fused activation, if any (an elementwise op keeps the axis order). */
function activation(layer: tf.layers.Layer, x: HeldTensor, graph: OnnxGraphBuilder): HeldTensor {
  const name = String(config(layer).activation ?? "linear");
  if (!(name in ACTIVATIONS)) {
    fail(layer, `uses activation "${name}"; the exporter writes ${Object.keys(ACTIVATIONS)}`);
  }
  const op = ACTIVATIONS[name];
  return op ? { name: graph.node(op, [x.name], `${layer.name}/${op}`), order: x.order } : x;
}

/** tfjs's "same" pads the extra row and column at the end, which is ONNX's SAME_UPPER. */
function padding(layer: tf.layers.Layer): { auto_pad: { string: string } } | Record<never, never> {
  const p = config(layer).padding ?? "same";
  if (p === "same") return { auto_pad: { string: "SAME_UPPER" } };
  if (p === "valid") return {};
  return fail(layer, `has padding "${p}"; the exporter handles "same" and "valid"`);
}

function requireChannelsLast(layer: tf.layers.Layer): void {
  const format = config(layer).dataFormat ?? "channelsLast";
  if (format !== "channelsLast") fail(layer, `has dataFormat ${format}; expected channelsLast`);
}

/** Conv2D and the library's SameConv2D: Conv (NCHW, weights OIHW), then its activation. */
const convolution: LayerConverter = (layer, input, graph) => {
  requireRank(layer, input, [4]);
  requireChannelsLast(layer);
  const x = graph.transposeTo(input, CHANNELS_FIRST);
  const [kh, kw] = numbers(layer, "kernelSize", 2);
  // tfjs kernels are [kh, kw, in, out]; ONNX's are [out, in, kh, kw].
  const kernel = weightValues(layer, "kernel", [3, 2, 0, 1]);
  const filters = numbers(layer, "filters", 1)[0];
  const dims = [filters, kernel.length / (filters * kh * kw), kh, kw];
  const inputs = [x.name, graph.weight(`${layer.name}/kernel`, kernel, dims, 0)];
  if (config(layer).useBias ?? true) {
    inputs.push(graph.floats(`${layer.name}/bias`, weightValues(layer, "bias"), [filters]));
  }
  const has = (key: string) => key in config(layer);
  const y = graph.node("Conv", inputs, `${layer.name}/Conv`, {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: has("strides") ? numbers(layer, "strides", 2) : [1, 1] },
    dilations: { ints: has("dilationRate") ? numbers(layer, "dilationRate", 2) : [1, 1] },
    ...padding(layer),
  });
  return activation(layer, { name: y, order: CHANNELS_FIRST }, graph);
};

/** Dense on a batch of vectors: Gemm (x · kernel + bias), then its activation. */
const dense: LayerConverter = (layer, input, graph) => {
  requireRank(layer, input, [2]);
  const units = numbers(layer, "units", 1)[0];
  const kernel = weightValues(layer, "kernel");
  const dims = [kernel.length / units, units];
  const inputs = [input.name, graph.weight(`${layer.name}/kernel`, kernel, dims, 1)];
  if (config(layer).useBias ?? true) {
    inputs.push(graph.floats(`${layer.name}/bias`, weightValues(layer, "bias"), [units]));
  }
  const y = graph.node("Gemm", inputs, `${layer.name}/Gemm`);
  return activation(layer, { name: y, order: input.order }, graph);
};

/** The library's BatchNorm at inference: (x − mean) / √(var + ε) · γ + β over the channel axis. */
const batchNorm: LayerConverter = (layer, input, graph) => {
  requireRank(layer, input, [2, 4]);
  // ONNX normalises axis 1: the channels, once images are held NCHW.
  const x = graph.transposeTo(input, input.order.length === 4 ? CHANNELS_FIRST : [0, 1]);
  const stats = ["gamma", "beta", "moving_mean", "moving_variance"].map((w) => {
    const values = weightValues(layer, w);
    return graph.floats(`${layer.name}/${w}`, values, [values.length]);
  });
  const epsilon = Number(config(layer).epsilon);
  const y = graph.node("BatchNormalization", [x.name, ...stats], `${layer.name}/BatchNorm`, {
    epsilon: { float: epsilon },
  });
  return { name: y, order: x.order };
};

const relu: LayerConverter = (layer, input, graph) => {
  const max = config(layer).maxValue;
  if (max !== null && max !== undefined) fail(layer, `caps its output at ${max} (not exported)`);
  return { name: graph.node("Relu", [input.name], `${layer.name}/Relu`), order: input.order };
};

const maxPool: LayerConverter = (layer, input, graph) => {
  requireRank(layer, input, [4]);
  requireChannelsLast(layer);
  const x = graph.transposeTo(input, CHANNELS_FIRST);
  const y = graph.node("MaxPool", [x.name], `${layer.name}/MaxPool`, {
    kernel_shape: { ints: numbers(layer, "poolSize", 2) },
    strides: { ints: numbers(layer, "strides", 2) },
    ...padding(layer),
  });
  return { name: y, order: CHANNELS_FIRST };
};

/** No node: the ONNX tensor stays as it is and only the record of its axes changes. */
const permute: LayerConverter = (layer, input) => {
  const dims = numbers(layer, "dims", input.order.length - 1);
  return { name: input.name, order: afterPermute(input.order, dims) };
};

/** Flattens in tfjs's element order, so the dense layer after it reads what it was trained on. */
const flatten: LayerConverter = (layer, input, graph) => {
  const x = graph.transposeTo(input, identityOrder(input.order.length));
  const y = graph.node("Flatten", [x.name], `${layer.name}/Flatten`, { axis: { int: 1 } });
  return { name: y, order: [0, 1] };
};

/** Dropout is the identity at inference: nothing is written. */
const dropout: LayerConverter = (_layer, input) => input;

/** The converters by tfjs class name (what `layer.getClassName()` returns). */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: convolution,
  SameConv2D: convolution,
  Dense: dense,
  BatchNorm: batchNorm,
  ReLU: relu,
  MaxPooling2D: maxPool,
  Permute: permute,
  Flatten: flatten,
  Dropout: dropout,
  SeededDropout: dropout,
};
