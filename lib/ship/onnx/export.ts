/**
 * A trained tfjs model as an ONNX file, the format ONNX Runtime (servers, phones, browsers),
 * OpenVINO and TensorRT read. The graph is rebuilt layer by layer (layers.ts) from the model's
 * own symbolic graph, so it holds exactly the layers that lead to the chosen outputs, in opset 13.
 *
 * The graph input keeps tfjs's layout, NHWC, by default: the same Float32Array a tfjs model
 * takes (a Dataset batch, a canvas read in the demo) feeds the ONNX model unchanged, and one
 * Transpose before the first convolution turns it into the NCHW that ONNX's image operators
 * read. `inputLayout: "NCHW"` drops that Transpose and takes NCHW input instead, as models
 * exported from PyTorch do. Outputs always come back in tfjs's layout, so every output equals
 * the tfjs model's output of the same name.
 */
import * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";
import { writeFileAtomic } from "../../fs/safe_write.ts";
import {
  type HeldTensor,
  OnnxGraphBuilder,
  type OnnxWeightFormat,
  type ValueInfo,
  valueInfo,
} from "./graph.ts";
import { LAYER_CONVERTERS } from "./layers.ts";
import { CHANNELS_FIRST, identityOrder } from "./layout.ts";

const { onnx } = onnxProto;

/** The ONNX operator set the files declare: every operator used here, per-axis dequantisation. */
export const ONNX_OPSET = 13;

/** Options for `exportOnnx`. */
export interface OnnxExportOptions {
  /** "float32" (default) or "int8": convolution and dense weights as int8 + DequantizeLinear. */
  weights?: OnnxWeightFormat;
  /** The graph input's layout for image models: "NHWC" as tfjs (default) or "NCHW". */
  inputLayout?: "NHWC" | "NCHW";
  /** The graph input's name (default "input"). */
  inputName?: string;
  /** Which of the model's outputs to keep, by layer name (default all, e.g. just ["logits"]). */
  outputs?: readonly string[];
}

/** What an ONNX file holds, as a runtime sees it. */
export interface OnnxModelInfo {
  /** The one input; its first axis is "batch" (any size). */
  readonly input: ValueInfo;
  /** The outputs, named after their tfjs layers, in tfjs's layout. */
  readonly outputs: readonly ValueInfo[];
  readonly weights: OnnxWeightFormat;
  readonly nodes: number;
}

/** An exported file. */
export interface OnnxFile extends OnnxModelInfo {
  readonly path: string;
  readonly bytes: number;
}

function shapeOf(shape: readonly (number | null)[]): (number | string)[] {
  return shape.map((d) => d ?? "batch");
}

/** The model as ONNX bytes, and what they hold (`exportOnnx` writes them to a file). */
export function onnxBytes(
  model: tf.LayersModel,
  options: OnnxExportOptions = {},
): { bytes: Uint8Array; info: OnnxModelInfo } {
  const { weights = "float32", inputLayout = "NHWC", inputName = "input" } = options;
  if (model.inputs.length !== 1) {
    throw new Error(`ONNX export: ${model.name} has ${model.inputs.length} inputs; expected one`);
  }
  const graph = new OnnxGraphBuilder(weights);
  const modelInput = model.inputs[0];
  const rank = modelInput.shape.length;
  if (inputLayout === "NCHW" && rank !== 4) {
    throw new Error(
      `ONNX export: inputLayout NCHW needs an image input; ${model.name} has rank ${rank}`,
    );
  }
  const input: ValueInfo = {
    name: graph.uniqueName(inputName),
    shape: shapeOf(
      inputLayout === "NCHW" ? CHANNELS_FIRST.map((a) => modelInput.shape[a]) : modelInput.shape,
    ),
  };
  const held = new Map<number, HeldTensor>([[modelInput.id, {
    name: input.name,
    order: inputLayout === "NCHW" ? CHANNELS_FIRST : identityOrder(rank),
  }]]);

  const visit = (t: tf.SymbolicTensor): HeldTensor => {
    const known = held.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer as tf.layers.Layer;
    const className = layer.getClassName();
    const convert = LAYER_CONVERTERS[className];
    if (!convert) {
      throw new Error(
        `ONNX export: layer "${layer.name}" of class ${className} has no ONNX converter; ` +
          `the exporter writes ${Object.keys(LAYER_CONVERTERS).join(", ")}`,
      );
    }
    if (t.inputs.length !== 1) {
      throw new Error(`ONNX export: layer "${layer.name}" (${className}) reads several tensors`);
    }
    const out = convert(layer, visit(t.inputs[0]), graph);
    held.set(t.id, out);
    return out;
  };

  const names = model.outputs.map((t) => t.sourceLayer.name);
  const wanted = options.outputs ?? names;
  for (const name of wanted) {
    if (!names.includes(name)) {
      throw new Error(`ONNX export: ${model.name} has no output "${name}" (it has ${names})`);
    }
  }
  const chosen = model.outputs.filter((t) => wanted.includes(t.sourceLayer.name));
  // Back to tfjs's layout; then each output tensor takes its layer's name (through an Identity
  // node where it is the graph input or already another output).
  const finals = chosen.map((t) => graph.transposeTo(visit(t), identityOrder(t.shape.length)));
  const claimed = new Set<string>();
  const outputs: ValueInfo[] = chosen.map((t, i) => {
    let name = finals[i].name;
    if (!graph.producedByNode(name) || claimed.has(name)) {
      name = graph.node("Identity", [name], `${t.sourceLayer.name}/Identity`);
    }
    graph.rename(name, t.sourceLayer.name);
    claimed.add(t.sourceLayer.name);
    return { name: t.sourceLayer.name, shape: shapeOf(t.shape) };
  });

  const proto = onnx.ModelProto.create({
    irVersion: onnx.Version.IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "knowledge-distillation lib/ship/onnx",
    producerVersion: `tfjs ${tf.version.tfjs}`,
    docString: `${model.name}, exported from TensorFlow.js`,
    graph: {
      name: model.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo(input)],
      output: outputs.map(valueInfo),
    },
  });
  return {
    bytes: onnx.ModelProto.encode(proto).finish(),
    info: { input, outputs, weights, nodes: graph.nodes.length },
  };
}

/**
 * Writes `model` as an ONNX file at `path` (atomically: a reader never sees half a file) and
 * says what it holds. Any layer without a converter is refused with an error naming it.
 */
export async function exportOnnx(
  model: tf.LayersModel,
  path: string,
  options: OnnxExportOptions = {},
): Promise<OnnxFile> {
  const { bytes, info } = onnxBytes(model, options);
  await writeFileAtomic(path, bytes);
  return { ...info, path, bytes: bytes.length };
}
