/**
 * The ONNX graph being written: nodes, initializers and unique tensor names, as messages of the
 * ONNX schema (the protobufjs classes of the npm package onnx-proto, generated from ONNX's own
 * onnx.proto). Layer converters (layers.ts) add to it; export.ts wraps it in a model.
 */
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import { type AxisOrder, sameOrder, transposeBetween } from "./layout.ts";
import { quantiseInt8 } from "./int8.ts";

const { onnx } = onnxProto;

/** How the file stores convolution and dense weights. */
export type OnnxWeightFormat = "float32" | "int8";

/** A node attribute, tagged with its ONNX type (a bare number could be an int or a float). */
export type Attribute =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly string: string };

/** A tensor of the graph standing for a tfjs tensor, and the axis order it is held in. */
export interface HeldTensor {
  readonly name: string;
  readonly order: AxisOrder;
}

/** One graph input or output: its name, element type and shape (a string names a free axis). */
export interface ValueInfo {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

function attribute(name: string, value: Attribute): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("int" in value) return { name, type: T.INT, i: value.int };
  if ("ints" in value) return { name, type: T.INTS, ints: [...value.ints] };
  if ("float" in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
}

/** Little-endian bytes of a typed array, as TensorProto.raw_data stores them (hosts are LE). */
function rawBytes(values: Float32Array | Int8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** A float32 tensor's type and shape, for graph inputs and outputs. */
export function valueInfo(info: ValueInfo): Onnx.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: info.shape.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

export class OnnxGraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  readonly #taken = new Set<string>();

  constructor(readonly weightFormat: OnnxWeightFormat = "float32") {}

  /** `base`, or `base_2`, `base_3`… when taken: every tensor and node name is unique. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 2; this.#taken.has(name); i++) name = `${base}_${i}`;
    this.#taken.add(name);
    return name;
  }

  /** Adds a node with one output, named `${outputBase}` (made unique), and returns that name. */
  node(
    opType: string,
    inputs: readonly string[],
    outputBase: string,
    attributes: Record<string, Attribute> = {},
  ): string {
    const output = this.uniqueName(outputBase);
    this.nodes.push({
      name: output,
      opType,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** A float32 initializer; returns its name. */
  floats(nameBase: string, values: Float32Array, dims: readonly number[]): string {
    const name = this.uniqueName(nameBase);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: rawBytes(values),
    });
    return name;
  }

  /**
   * A convolution or dense weight, as the file's weight format says: float32 as it is, or int8
   * with one scale per index of `channelAxis`, read back to float32 by a DequantizeLinear node.
   * Returns the name of the float32 tensor either way.
   */
  weight(
    nameBase: string,
    values: Float32Array,
    dims: readonly number[],
    channelAxis: number,
  ): string {
    if (this.weightFormat === "float32") return this.floats(nameBase, values, dims);
    const { q, scales } = quantiseInt8(values, dims, channelAxis);
    const quantised = this.uniqueName(`${nameBase}_int8`);
    this.initializers.push({
      name: quantised,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.INT8,
      rawData: rawBytes(q),
    });
    const scale = this.floats(`${nameBase}_scale`, scales, [scales.length]);
    // No zero point: it defaults to 0 of the int8 type, which is the symmetric scheme.
    return this.node("DequantizeLinear", [quantised, scale], nameBase, {
      axis: { int: channelAxis },
    });
  }

  /** The same tfjs tensor held in `order`, through a Transpose node when it is not already. */
  transposeTo(tensor: HeldTensor, order: AxisOrder): HeldTensor {
    if (sameOrder(tensor.order, order)) return tensor;
    const name = this.node("Transpose", [tensor.name], `${tensor.name}/Transpose`, {
      perm: { ints: transposeBetween(tensor.order, order) },
    });
    return { name, order };
  }

  /** Renames a node output everywhere it appears, e.g. to give a graph output its layer's name. */
  rename(from: string, to: string): void {
    if (this.#taken.has(to)) throw new Error(`ONNX export: the name "${to}" is taken twice`);
    this.#taken.add(to);
    for (const node of this.nodes) {
      node.input = node.input!.map((n) => (n === from ? to : n));
      node.output = node.output!.map((n) => (n === from ? to : n));
      if (node.name === from) node.name = to;
    }
  }

  /** Whether a node (not a graph input or initializer) produces `name`. */
  producedByNode(name: string): boolean {
    return this.nodes.some((n) => n.output!.includes(name));
  }
}
