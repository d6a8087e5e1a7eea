/** Matrix products on oneDNN, row-major as tfjs's BatchMatMul, with optional bias and ReLU. */
import { Arg, check, SIZEOF } from "../onednn_ffi.ts";
import { type Handle, pointerOf } from "./builder.ts";
import type { PrimitiveCache } from "./cache.ts";
import { expectLength, expectPositive } from "./checks.ts";

/**
 * `c[i] = op(a[i]) · op(b[i])` for i < batch, row-major like tfjs's
 * BatchMatMul: a is [batch, m, k] ([batch, k, m] when transposeA), b is
 * [batchB, k, n] ([batchB, n, k] when transposeB), c is [batch, m, n].
 * batchB is `batch` (the default) or 1 (one b for every a); no other broadcasting.
 */
export interface MatMulShape {
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  batchB?: number;
}

/**
 * c = op(a) · op(b) (+ bias broadcast over rows) (then ReLU), see
 * `MatMulShape`; bias has n elements.
 */
export function matMul(
  cache: PrimitiveCache,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  shape: MatMulShape,
  options: { bias?: Float32Array; relu?: boolean } = {},
): void {
  const { batch, m, k, n, transposeA, transposeB } = shape;
  const batchB = shape.batchB ?? batch;
  expectPositive("matMul", { batch, m, k, n, batchB });
  if (batchB !== batch && batchB !== 1) {
    throw new RangeError(`matMul: batchB must be 1 or batch (${batch}), got ${batchB}`);
  }
  expectLength("a", a, batch * m * k);
  expectLength("b", b, batchB * k * n);
  expectLength("c", c, batch * m * n);
  const { bias } = options;
  if (bias) expectLength("bias", bias, n);
  const relu = options.relu ?? false;
  const key = `${batch}x${m}x${k}${transposeA ? "ᵀ" : ""} · ${batchB}x${k}x${n}` +
    `${transposeB ? "ᵀ" : ""}${bias ? " +bias" : ""}${relu ? " +relu" : ""}`;
  const entry = cache.entry("matMul", key, (builder) => {
    // Transposed operands are the same bytes read with swapped strides.
    const src = builder.stridedMd(
      [batch, m, k],
      transposeA ? [m * k, 1, m] : [m * k, k, 1],
    );
    const weights = builder.stridedMd(
      [batchB, k, n],
      transposeB ? [k * n, 1, k] : [k * n, n, 1],
    );
    const biasMd = bias ? builder.stridedMd([1, 1, n], [n, n, 1]) : undefined;
    const dst = builder.stridedMd([batch, m, n], [m * n, n, 1]);
    const desc = new Uint8Array(SIZEOF.matmulDesc);
    check(
      "dnnl_matmul_desc_init",
      builder.s.dnnl_matmul_desc_init(desc, src, weights, biasMd ? pointerOf(biasMd) : null, dst),
    );
    const pd = builder.primitiveDesc("matmul", desc, builder.attr(relu), null);
    const args: [number, Handle][] = [
      [Arg.src, builder.userMemory(src)],
      [Arg.weights, builder.userMemory(weights)],
    ];
    if (biasMd) args.push([Arg.bias, builder.userMemory(biasMd)]);
    args.push([Arg.dst, builder.userMemory(dst)]);
    builder.execute(pd, args);
  });
  cache.run(entry, bias ? [a, b, bias, c] : [a, b, c]);
}
