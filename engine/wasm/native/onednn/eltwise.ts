/**
 * Element-wise ops on oneDNN: add, subtract and multiply (a row broadcast
 * along the last axis allowed), ReLU and its gradient. All exact in float32,
 * so bit for bit the wasm kernels'; the native path adds threads and wider
 * vectors.
 */
import { AlgKind, Arg, check, FormatTag, PropKind, SIZEOF } from "../onednn_ffi.ts";
import type { PrimitiveCache } from "./cache.ts";
import { expectLength, expectPositive } from "./checks.ts";

/** The element-wise binary operations `binary()` runs. */
export type BinaryOp = "add" | "sub" | "mul";

const BINARY_ALG: Record<BinaryOp, number> = {
  add: AlgKind.binaryAdd,
  sub: AlgKind.binarySub,
  mul: AlgKind.binaryMul,
};

/**
 * `binary()`'s operands: a and out hold `rows · columns` values; b holds as
 * many (`broadcastRow` false) or one row of `columns` repeated down the rows
 * (a bias along the last axis).
 */
export interface BinaryShape {
  rows: number;
  columns: number;
  broadcastRow: boolean;
}

/**
 * out = a op b element by element (see `BinaryShape`). Exact float32
 * arithmetic, one rounding per element, so the result is bit for bit the
 * wasm kernels'; what the native path adds is both cores and wider vectors.
 */
export function binary(
  cache: PrimitiveCache,
  op: BinaryOp,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  shape: BinaryShape,
) {
  const { rows, columns, broadcastRow } = shape;
  expectPositive(`binary ${op}`, { rows, columns });
  const n = rows * columns;
  expectLength("a", a, n);
  expectLength("b", b, broadcastRow ? columns : n);
  expectLength("out", out, n);
  const key = `${op} ${rows}x${columns}${broadcastRow ? " + row" : ""}`;
  const entry = cache.entry("binary", key, (builder) => {
    // Same shapes as one flat run (oneDNN splits it over the threads); a broadcast row as 2-D.
    const full = broadcastRow
      ? builder.md([rows, columns], FormatTag.ab)
      : builder.md([n], FormatTag.a);
    const second = broadcastRow ? builder.md([1, columns], FormatTag.ab) : full;
    const dst = broadcastRow
      ? builder.md([rows, columns], FormatTag.ab)
      : builder.md([n], FormatTag.a);
    const desc = new Uint8Array(SIZEOF.binaryDesc);
    check(
      "dnnl_binary_desc_init",
      builder.s.dnnl_binary_desc_init(desc, BINARY_ALG[op], full, second, dst),
    );
    const pd = builder.primitiveDesc(`binary ${op}`, desc, builder.attr(false), null);
    builder.execute(pd, [
      [Arg.src, builder.userMemory(full)],
      [Arg.src1, builder.userMemory(second)],
      [Arg.dst, builder.userMemory(dst)],
    ]);
  });
  cache.run(entry, [a, b, out]);
}

/** y = max(x, 0) element by element (exact, as the wasm kernel; a negative input may give −0). */
export function relu(cache: PrimitiveCache, x: Float32Array, y: Float32Array): void {
  expectPositive("relu", { length: x.length });
  expectLength("y", y, x.length);
  const entry = cache.entry("relu", `${x.length}`, (builder) => {
    const data = builder.md([x.length], FormatTag.a);
    const desc = new Uint8Array(SIZEOF.eltwiseDesc);
    check(
      "dnnl_eltwise_forward_desc_init",
      builder.s.dnnl_eltwise_forward_desc_init(
        desc,
        PropKind.forwardInference,
        AlgKind.eltwiseRelu,
        data,
        0,
        0,
      ),
    );
    const pd = builder.primitiveDesc("eltwise relu", desc, builder.attr(false), null);
    builder.execute(pd, [[Arg.src, builder.userMemory(data)], [
      Arg.dst,
      builder.userMemory(data),
    ]]);
  });
  cache.run(entry, [x, y]);
}

/** dx = dy where x > 0, else dy · 0 (ReLU's gradient; exact, as dy · step(x) on wasm). */
export function reluGrad(
  cache: PrimitiveCache,
  dy: Float32Array,
  x: Float32Array,
  dx: Float32Array,
): void {
  expectPositive("reluGrad", { length: x.length });
  expectLength("dy", dy, x.length);
  expectLength("dx", dx, x.length);
  const entry = cache.entry("reluGrad", `${x.length}`, (builder) => {
    const data = builder.md([x.length], FormatTag.a);
    const forward = new Uint8Array(SIZEOF.eltwiseDesc);
    check(
      "dnnl_eltwise_forward_desc_init (hint)",
      builder.s.dnnl_eltwise_forward_desc_init(
        forward,
        PropKind.forwardTraining,
        AlgKind.eltwiseRelu,
        data,
        0,
        0,
      ),
    );
    const hint = builder.primitiveDesc("eltwise relu hint", forward, null, null);
    const desc = new Uint8Array(SIZEOF.eltwiseDesc);
    check(
      "dnnl_eltwise_backward_desc_init",
      builder.s.dnnl_eltwise_backward_desc_init(desc, AlgKind.eltwiseRelu, data, data, 0, 0),
    );
    const pd = builder.primitiveDesc("eltwise relu backward", desc, builder.attr(false), hint);
    builder.execute(pd, [
      [Arg.diffDst, builder.userMemory(data)],
      [Arg.src, builder.userMemory(data)],
      [Arg.diffSrc, builder.userMemory(data)],
    ]);
  });
  cache.run(entry, [dy, x, dx]);
}
