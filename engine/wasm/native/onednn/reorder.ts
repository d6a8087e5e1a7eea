/**
 * Transposes on oneDNN: a reorder that reads the source through permuted strides into a dense
 * output. Every value is copied, never computed, so the result is tfjs's Transpose bit for bit.
 */
import { Arg } from "../onednn_ffi.ts";
import { pointerOf } from "./builder.ts";
import type { PrimitiveCache } from "./cache.ts";
import { expectLength, expectPositive } from "./checks.ts";

/** Element strides of a dense row-major tensor of `shape`. */
function rowMajor(shape: readonly number[]): number[] {
  const strides = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/**
 * y = x with its axes permuted, as tf.transpose(x, perm): x is dense row-major of `shape`, y
 * dense row-major of `perm.map((p) => shape[p])`.
 */
export function transpose(
  cache: PrimitiveCache,
  shape: readonly number[],
  perm: readonly number[],
  x: Float32Array,
  y: Float32Array,
): void {
  expectPositive("transpose", Object.fromEntries(shape.map((d, i) => [`dimension ${i}`, d])));
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== shape.length || sorted.some((p, i) => p !== i)) {
    throw new RangeError(`transpose: [${perm}] is not a permutation of ${shape.length} axes`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  expectLength("x", x, size);
  expectLength("y", y, size);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = rowMajor(shape);
  const entry = cache.entry("transpose", `${shape.join("x")} [${perm}]`, (b) => {
    const src = b.stridedMd(outShape, perm.map((p) => inStrides[p]));
    const dst = b.stridedMd(outShape, rowMajor(outShape));
    const pd = b.reorderDesc(pointerOf(src), pointerOf(dst));
    b.execute(pd, [[Arg.from, b.userMemory(src)], [Arg.to, b.userMemory(dst)]]);
  });
  cache.run(entry, [x, y]);
}
