/**
 * Axis orders while a tfjs model becomes an ONNX graph. tfjs keeps images NHWC; ONNX's Conv,
 * MaxPool and BatchNormalization read NCHW. Rather than transposing around every such node, the
 * exporter remembers, for each ONNX tensor, which tfjs axis each of its axes holds, and inserts a
 * Transpose only where an operator needs another order (the first convolution, a Flatten that
 * must see tfjs's element order, a graph output). A Permute layer then costs no node at all: it
 * only relabels the axes.
 */

/** An axis order: ONNX axis i holds tfjs axis `order[i]`. */
export type AxisOrder = readonly number[];

/** tfjs's own order for a tensor of `rank` axes. */
export function identityOrder(rank: number): AxisOrder {
  return Array.from({ length: rank }, (_, i) => i);
}

/** NHWC held as NCHW: what ONNX's image operators read. */
export const CHANNELS_FIRST: AxisOrder = [0, 3, 1, 2];

export function sameOrder(a: AxisOrder, b: AxisOrder): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The order p⁻¹ with p⁻¹[p[i]] = i. */
export function inverseOrder(order: AxisOrder): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((axis, i) => (inverse[axis] = i));
  return inverse;
}

/**
 * The `perm` attribute of the ONNX Transpose that turns a tensor held in order `from` into the
 * same tfjs tensor held in order `to` (Transpose: output axis i is input axis perm[i]).
 */
export function transposeBetween(from: AxisOrder, to: AxisOrder): number[] {
  const where = inverseOrder(from);
  return to.map((axis) => where[axis]);
}

/**
 * The order of a Permute layer's output, given its input's order and the layer's `dims`
 * (1-based, batch axis excluded, as tfjs.layers.permute takes them). Output tfjs axis j is input
 * tfjs axis p[j] with p = [0, ...dims]; the ONNX tensor is unchanged, only its labels move.
 */
export function afterPermute(input: AxisOrder, dims: readonly number[]): number[] {
  const relabel = inverseOrder([0, ...dims]);
  return input.map((axis) => relabel[axis]);
}
