/**
 * The oneDNN 2.x C API as Deno FFI sees it: the symbols this engine calls, the
 * enum values it passes, and the sizes of the structs it lets the library fill.
 *
 * Values and sizes come from oneDNN 2.6.3's headers (dnnl_types.h), read with a
 * throwaway C program (`sizeof`, `offsetof`). oneDNN keeps its ABI within a
 * major version, so they hold for every 2.x; a wrong one here would corrupt
 * memory, which is why a library is first proved in a child process (probe.ts).
 * No struct is passed by value: descriptors live in JS-owned buffers that the
 * library fills and reads through pointers, and only `dnnl_exec_arg_t` and
 * `dnnl_version_t` are read or written field by field.
 */

/** The one symbol needed to tell a oneDNN 2 from a oneDNN 3 (or from no oneDNN). */
export const VERSION_SYMBOL = {
  dnnl_version: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Every function the kernels call; all return `dnnl_status_t` unless noted. */
export const ONEDNN_SYMBOLS = {
  ...VERSION_SYMBOL,
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_engine_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_stream_destroy: { parameters: ["pointer"], result: "i32" },
  // (md*, ndims, dims, data_type, format_tag)
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  // (md*, ndims, dims, data_type, strides)
  dnnl_memory_desc_init_by_strides: {
    parameters: ["buffer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
  /** Returns int: 1 when the two descriptors describe the same layout. */
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  /** Returns size_t: bytes the described memory occupies. */
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  // (memory*, md*, engine, handle)
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_get_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_scratchpad_mode: { parameters: ["pointer", "i32"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  // (post_ops, scale, alg_kind, alpha, beta)
  dnnl_post_ops_append_eltwise: {
    parameters: ["pointer", "f32", "i32", "f32", "f32"],
    result: "i32",
  },
  // (conv_desc*, prop_kind, alg_kind, src, weights, bias, dst, strides, dilates, pad_l, pad_r)
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  // (conv_desc*, alg_kind, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r)
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  // (conv_desc*, alg_kind, src, diff_weights, diff_bias, diff_dst, strides, dilates, pad_l, pad_r)
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  // (eltwise_desc*, prop_kind, alg_kind, data, alpha, beta)
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"],
    result: "i32",
  },
  // (eltwise_desc*, alg_kind, diff_data, data, alpha, beta)
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  // (binary_desc*, alg_kind, src0, src1, dst)
  dnnl_binary_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  // (pool_desc*, prop_kind, alg_kind, src, dst, strides, kernel, dilation, pad_l, pad_r)
  dnnl_pooling_v2_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  // (pool_desc*, alg_kind, diff_src, diff_dst, strides, kernel, dilation, pad_l, pad_r)
  dnnl_pooling_v2_backward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  // (bnrm_desc*, prop_kind, data, epsilon, flags)
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "f32", "u32"],
    result: "i32",
  },
  // (bnrm_desc*, prop_kind, diff_data, data, epsilon, flags)
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "u32"],
    result: "i32",
  },
  // (matmul_desc*, src, weights, bias, dst)
  dnnl_matmul_desc_init: {
    parameters: ["buffer", "buffer", "buffer", "pointer", "buffer"],
    result: "i32",
  },
  // (pd*, op_desc, attr, engine, hint_forward_pd)
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  // (pd*, src_md, src_engine, dst_md, dst_engine, attr)
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  // (iterator*, op_desc, attr, engine, hint_forward_pd)
  dnnl_primitive_desc_iterator_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  /** dnnl_iterator_ends (4) past the last implementation. */
  dnnl_primitive_desc_iterator_next: { parameters: ["pointer"], result: "i32" },
  /** A new primitive descriptor (the caller destroys it) for the current implementation. */
  dnnl_primitive_desc_iterator_fetch: { parameters: ["pointer"], result: "pointer" },
  dnnl_primitive_desc_iterator_destroy: { parameters: ["pointer"], result: "i32" },
  // (pd, query, index, result*)
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  /** Returns `const dnnl_memory_desc_t *` owned by the primitive descriptor. */
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  // (primitive, stream, nargs, const dnnl_exec_arg_t *args)
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

export type OneDnnSymbols = Deno.DynamicLibrary<typeof ONEDNN_SYMBOLS>["symbols"];

/** OpenMP's thread-count calls: oneDNN 2 has none of its own under the OMP runtime. */
export const OPENMP_SYMBOLS = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
  omp_get_max_threads: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Struct sizes in bytes (x86-64 and arm64 alike: only int64, int32 and pointers inside). */
export const SIZEOF = {
  memoryDesc: 696,
  convolutionDesc: 5976,
  matmulDesc: 2800,
  eltwiseDesc: 1416,
  binaryDesc: 2096,
  poolingV2Desc: 3288,
  batchNormDesc: 3496,
  /** `{ int arg; dnnl_memory_t memory; }`: the pointer sits at offset 8. */
  execArg: 16,
  /** `dnnl_dims_t`: int64_t[DNNL_MAX_NDIMS = 12]. */
  dims: 96,
} as const;

/** Field offsets of `dnnl_version_t { int major, minor, patch; const char *hash; unsigned cpu_runtime; }`. */
export const VERSION_OFFSETS = { major: 0, minor: 4, patch: 8, hash: 16, cpuRuntime: 24 } as const;

/** `DNNL_RUNTIME_*` values of `dnnl_version_t.cpu_runtime`. */
export const CPU_RUNTIMES: Readonly<Record<number, string>> = {
  0: "none",
  1: "sequential",
  2: "OpenMP",
  4: "TBB",
  8: "threadpool",
};

export const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: "success",
  1: "out_of_memory",
  2: "invalid_arguments",
  3: "unimplemented",
  4: "iterator_ends",
  5: "runtime_error",
  6: "not_required",
};

export const DataType = { f32: 3, u8: 6 } as const;

/** Format tags: oneDNN's dims are always logical (N, C, H, W) / (O, I, H, W); the tag says the order in memory. */
export const FormatTag = { any: 1, a: 2, ab: 3, nhwc: 20, hwio: 30 } as const;

export const PropKind = { forwardTraining: 64, forwardInference: 96, backward: 128 } as const;

/** `dnnl_normalization_flags_t`: given statistics; separate scale (gamma) and shift (beta) tensors. */
export const NormalizationFlags = {
  useGlobalStats: 0x1,
  fuseNormRelu: 0x4,
  useScale: 0x8,
  useShift: 0x10,
} as const;

export const AlgKind = {
  convolutionDirect: 1,
  eltwiseRelu: 31,
  poolingMax: 511,
  binaryAdd: 131056,
  binaryMul: 131057,
  binarySub: 131061,
} as const;

export const EngineKind = { cpu: 1 } as const;

export const STREAM_DEFAULT_FLAGS = 1;

export const ScratchpadMode = { user: 1 } as const;

export const Query = {
  implInfoStr: 8,
  srcMd: 129,
  diffSrcMd: 130,
  weightsMd: 131,
  diffWeightsMd: 132,
  dstMd: 133,
  diffDstMd: 134,
  workspaceMd: 135,
  scratchpadMd: 136,
} as const;

/** `DNNL_ARG_*`: which memory an execution argument is. */
export const Arg = {
  src: 1,
  /** `DNNL_ARG_SRC_1`: a binary primitive's second operand (the first is `src`). */
  src1: 2,
  dst: 17,
  weights: 33,
  bias: 41,
  diffSrc: 129,
  diffDst: 145,
  diffWeights: 161,
  diffBias: 169,
  mean: 49,
  variance: 50,
  scale: 51,
  shift: 52,
  diffScale: 255,
  diffShift: 256,
  scratchpad: 80,
  /** `DNNL_ARG_WORKSPACE`: what a forward pass keeps for its backward one (max pooling's argmax). */
  workspace: 64,
  from: 1,
  to: 17,
} as const;

let allocateSentinel: Deno.PointerValue | undefined;

/**
 * `DNNL_MEMORY_ALLOCATE`: `dnnl_memory_create` allocates (and later frees) the buffer itself.
 * Made on first use, not at import: making a pointer needs FFI permission, which a program on the
 * pure wasm path may lack (`deno task grade`'s sandbox), and it imports this module too.
 */
export function memoryAllocate(): Deno.PointerValue {
  allocateSentinel ??= Deno.UnsafePointer.create(0xffff_ffff_ffff_ffffn);
  return allocateSentinel;
}

/** A `dnnl_status_t` other than success, named by the call that returned it. */
export class OneDnnError extends Error {
  constructor(readonly call: string, readonly status: number) {
    super(`${call} failed: dnnl_${STATUS_NAMES[status] ?? `status ${status}`}`);
    this.name = "OneDnnError";
  }
}

export function check(call: string, status: number): void {
  if (status !== 0) throw new OneDnnError(call, status);
}

/**
 * Calls a C function that returns a handle through its first argument
 * (`dnnl_x_create(dnnl_x_t *out, ...)`) and returns that handle.
 */
export function created(call: string, create: (out: BigUint64Array) => number): Deno.PointerObject {
  const out = new BigUint64Array(1);
  check(call, create(out));
  const handle = Deno.UnsafePointer.create(out[0]);
  if (handle === null) throw new OneDnnError(`${call} (returned a null handle)`, 5);
  return handle;
}

/** A `dnnl_dims_t` with the given leading entries (the rest of its 12 stay 0). */
export function dims(values: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(SIZEOF.dims / 8);
  values.forEach((v, i) => out[i] = BigInt(v));
  return out;
}
