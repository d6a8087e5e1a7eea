/**
 * Convolutions and matrix products on oneDNN, in place on caller-owned
 * Float32Arrays (the wasm heap's SharedArrayBuffer or any ArrayBuffer), in
 * tfjs's layouts: activations NHWC, filters HWIO, matrices row-major.
 *
 * Each distinct shape builds its primitives once and keeps them: the
 * primitive descriptor lets oneDNN pick the weights layout its fastest (jit)
 * implementation wants, with a cached reorder between that layout and HWIO,
 * since the filters change every training step and live in the caller's
 * memory. Activations stay NHWC so they are read and written where they lie.
 * Pointers are taken from the views on every call because the wasm heap can
 * grow and be replaced between calls. Every native object made here is
 * counted and freed by `dispose()`.
 *
 * One instance belongs to one JS thread: OpenMP's thread count is per calling
 * thread, and the shared scratchpad serves one call at a time.
 */
import type { OneDnnLibrary } from "./loader.ts";
import {
  AlgKind,
  Arg,
  check,
  created,
  DataType,
  dims,
  EngineKind,
  FormatTag,
  memoryAllocate,
  NormalizationFlags,
  type OneDnnSymbols,
  PropKind,
  Query,
  ScratchpadMode,
  SIZEOF,
  STREAM_DEFAULT_FLAGS,
} from "./onednn_ffi.ts";

/** A 2-D convolution's geometry, named as tfjs's Conv2DInfo names it (pads spelled out). */
export interface Conv2DParams {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  /** tfjs's dilation: 1 means none (oneDNN counts from 0). */
  dilationHeight: number;
  dilationWidth: number;
}

/** The fields of tfjs's `backend_util.Conv2DInfo` that `Conv2DParams` is made from. */
export interface Conv2DInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number };
}

/**
 * The geometry of a tfjs Conv2DInfo, field by field so that the info's other
 * fields stay behind. The kernels assume tfjs's default channelsLast data
 * format; the caller checks `dataFormat`.
 */
export function conv2DParams(info: Conv2DInfoLike): Conv2DParams {
  const { padInfo: pad } = info;
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: pad.top,
    padLeft: pad.left,
    padBottom: pad.bottom,
    padRight: pad.right,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
  };
}

/** A pooling window's geometry from a tfjs Conv2DInfo (as computePool2DInfo gives it), field by field. */
export function pool2DParams(info: Conv2DInfoLike): Pool2DParams {
  const { padInfo: pad } = info;
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: pad.top,
    padLeft: pad.left,
    padBottom: pad.bottom,
    padRight: pad.right,
  };
}

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

/** A 2-D max or average pooling window's geometry over NHWC (pads spelled out, as tfjs's Conv2DInfo has them). */
export interface Pool2DParams {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

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
 * Batch normalisation's operands: x, y, dy and dx hold `batch · spatial ·
 * channels` values, channels last (NHWC with H·W = spatial, or rows of a
 * matrix with spatial 1); gamma, beta, mean and variance hold `channels`.
 */
export interface BatchNormShape {
  batch: number;
  spatial: number;
  channels: number;
  /** Added to the variance before the square root. */
  epsilon: number;
}

export type KernelName =
  | "conv2dForward"
  | "conv2dBackwardData"
  | "conv2dBackwardFilter"
  | "matMul"
  | "binary"
  | "relu"
  | "reluGrad"
  | "maxPool"
  | "batchNormTrain"
  | "batchNormGrad"
  | "batchNormInference";

/** What one cached kernel runs on: for `describe()`. */
export interface PrimitiveInfo {
  kernel: KernelName;
  /** The cache key's shape part, e.g. "128x32x32x3 3x3 s1 p1,1,1,1 d1 →128 +bias +relu". */
  shape: string;
  /** oneDNN's implementation name, e.g. "brg:avx512_core" or "gemm:jit". */
  impl: string;
  /** The weights reorder's implementation when oneDNN wanted another layout than HWIO. */
  weightsReorder?: string;
  scratchpadBytes: number;
}

type Handle = Deno.PointerObject;

/** One primitive execution with its prebuilt `dnnl_exec_arg_t` array. */
interface Step {
  primitive: Handle;
  args: Uint8Array;
  nargs: number;
  /** This primitive's scratchpad memory, pointed at the shared scratch on every call. */
  scratchpad?: Handle;
}

interface Entry {
  info: PrimitiveInfo;
  /** Memories bound to the caller's views, in the order the kernel passes them. */
  user: Handle[];
  steps: Step[];
  owned: Owned;
}

/** Native objects with their destructors, freed in reverse order of creation; counted in `live`. */
class Owned {
  #destroyers: (() => number)[] = [];
  constructor(private readonly counter: { live: number }) {}

  add(handle: Handle, destroy: (h: Handle) => number): Handle {
    this.counter.live++;
    this.#destroyers.push(() => destroy(handle));
    return handle;
  }

  /** Frees everything, even past a failing destructor; throws the first failure afterwards. */
  release(what: string): void {
    let firstFailure = 0;
    while (this.#destroyers.length > 0) {
      const status = this.#destroyers.pop()!();
      this.counter.live--;
      if (status !== 0 && firstFailure === 0) firstFailure = status;
    }
    check(`destroying ${what}`, firstFailure);
  }
}

function pointerOf(view: Uint8Array | Float32Array): Handle {
  // The heap may be a SharedArrayBuffer, which Deno's BufferSource typing leaves out;
  // Deno.UnsafePointer.of takes any ArrayBufferView at run time.
  const p = Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>);
  if (p === null) throw new RangeError("cannot take the address of an empty view");
  return p;
}

function expectLength(name: string, view: Float32Array, length: number): void {
  if (view.length !== length) {
    throw new RangeError(`${name} has ${view.length} elements, the shape needs ${length}`);
  }
}

function expectPositive(what: string, values: Record<string, number>, min = 1): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`${what}: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
  }
}

/** A sliding window's geometry (conv filter or pooling window): sizes positive, output as it follows. */
function checkWindow(
  what: string,
  p: Conv2DParams | Pool2DParams,
  window: "filter" | "window",
  dilation: { height: number; width: number },
): void {
  const { padTop, padLeft, padBottom, padRight, ...sizes } = p;
  expectPositive(what, sizes);
  expectPositive(what, { padTop, padLeft, padBottom, padRight }, 0);
  const out = (size: number, k: number, d: number, s: number, pads: number) =>
    Math.floor((size + pads - ((k - 1) * d + 1)) / s) + 1;
  const h = out(p.inHeight, p.filterHeight, dilation.height, p.strideHeight, padTop + padBottom);
  const w = out(p.inWidth, p.filterWidth, dilation.width, p.strideWidth, padLeft + padRight);
  if (h !== p.outHeight || w !== p.outWidth) {
    throw new RangeError(
      `${what}: output ${p.outHeight}x${p.outWidth} does not follow from the input, ${window}, ` +
        `strides and pads (${h}x${w})`,
    );
  }
}

function checkConv(p: Conv2DParams): void {
  checkWindow("conv2d", p, "filter", { height: p.dilationHeight, width: p.dilationWidth });
}

function convShape(p: Conv2DParams): string {
  return `${p.batch}x${p.inHeight}x${p.inWidth}x${p.inChannels} ` +
    `${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} ` +
    `p${p.padTop},${p.padLeft},${p.padBottom},${p.padRight} ` +
    `d${p.dilationHeight},${p.dilationWidth} →${p.outChannels} (${p.outHeight}x${p.outWidth})`;
}

/** Separate γ (scale) and β (shift) tensors, as tfjs holds them. */
const BATCH_NORM_FLAGS = NormalizationFlags.useScale | NormalizationFlags.useShift;

/** The batch-norm views that hold one value per channel; the others hold the whole tensor. */
const BATCH_NORM_PER_CHANNEL = new Set(["gamma", "beta", "mean", "variance", "dgamma", "dbeta"]);

function batchNormKey(p: BatchNormShape): string {
  return `${p.batch}x${p.spatial}x${p.channels} eps${p.epsilon}`;
}

function checkPool(p: Pool2DParams): void {
  checkWindow("maxPool", p, "window", { height: 1, width: 1 });
}

function poolShape(p: Pool2DParams): string {
  return `${p.batch}x${p.inHeight}x${p.inWidth}x${p.channels} ` +
    `${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} ` +
    `p${p.padTop},${p.padLeft},${p.padBottom},${p.padRight} (${p.outHeight}x${p.outWidth})`;
}

/** Builds one cache entry: the memories, primitives and reorders of one kernel on one shape. */
class Builder {
  readonly user: Handle[] = [];
  readonly before: Step[] = [];
  readonly after: Step[] = [];
  main?: Step;
  impl = "";
  weightsReorder?: string;
  scratchpadBytes = 0;
  /** Objects needed only while building (attributes, post-ops). */
  readonly temporary: Owned;

  constructor(
    private readonly s: OneDnnSymbols,
    private readonly engine: Handle,
    readonly owned: Owned,
    counter: { live: number },
  ) {
    this.temporary = new Owned(counter);
  }

  md(shape: readonly number[], tag: number): Uint8Array {
    const md = new Uint8Array(SIZEOF.memoryDesc);
    check(
      "dnnl_memory_desc_init_by_tag",
      this.s.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), DataType.f32, tag),
    );
    return md;
  }

  stridedMd(shape: readonly number[], strides: readonly number[]): Uint8Array {
    const md = new Uint8Array(SIZEOF.memoryDesc);
    check(
      "dnnl_memory_desc_init_by_strides",
      this.s.dnnl_memory_desc_init_by_strides(
        md,
        shape.length,
        dims(shape),
        DataType.f32,
        dims(strides),
      ),
    );
    return md;
  }

  /** User-managed scratchpad (one shared buffer instead of a malloc per call), optional fused ReLU. */
  attr(relu: boolean): Handle {
    const s = this.s;
    const attr = this.temporary.add(
      created("dnnl_primitive_attr_create", (out) => s.dnnl_primitive_attr_create(out)),
      (h) => s.dnnl_primitive_attr_destroy(h),
    );
    check(
      "dnnl_primitive_attr_set_scratchpad_mode",
      s.dnnl_primitive_attr_set_scratchpad_mode(attr, ScratchpadMode.user),
    );
    if (relu) {
      const postOps = this.temporary.add(
        created("dnnl_post_ops_create", (out) => s.dnnl_post_ops_create(out)),
        (h) => s.dnnl_post_ops_destroy(h),
      );
      check(
        "dnnl_post_ops_append_eltwise",
        s.dnnl_post_ops_append_eltwise(postOps, 1, AlgKind.eltwiseRelu, 0, 0),
      );
      check("dnnl_primitive_attr_set_post_ops", s.dnnl_primitive_attr_set_post_ops(attr, postOps));
    }
    return attr;
  }

  primitiveDesc(
    what: string,
    opDesc: Uint8Array,
    attr: Handle | null,
    hint: Handle | null,
  ): Handle {
    const s = this.s;
    return this.owned.add(
      created(
        `dnnl_primitive_desc_create (${what})`,
        (out) => s.dnnl_primitive_desc_create(out, opDesc, attr, this.engine, hint),
      ),
      (h) => s.dnnl_primitive_desc_destroy(h),
    );
  }

  query(pd: Handle, what: number): Handle {
    const md = this.s.dnnl_primitive_desc_query_md(pd, what, 0);
    if (md === null) throw new Error(`dnnl_primitive_desc_query_md(${what}) returned NULL`);
    return md;
  }

  implOf(pd: Handle): string {
    const out = new BigUint64Array(1);
    check(
      "dnnl_primitive_desc_query (impl_info_str)",
      this.s.dnnl_primitive_desc_query(pd, Query.implInfoStr, 0, out),
    );
    const str = Deno.UnsafePointer.create(out[0]);
    return str === null ? "?" : Deno.UnsafePointerView.getCString(str);
  }

  /** Memory without a buffer of its own: its data handle is set to a caller's view on each call. */
  userMemory(md: Uint8Array): Handle {
    const memory = this.#memory(pointerOf(md), null);
    this.user.push(memory);
    return memory;
  }

  #memory(md: Handle, handle: Handle | null): Handle {
    const s = this.s;
    return this.owned.add(
      created("dnnl_memory_create", (out) => s.dnnl_memory_create(out, md, this.engine, handle)),
      (h) => s.dnnl_memory_destroy(h),
    );
  }

  #step(pd: Handle, args: readonly (readonly [number, Handle])[]): Step {
    const s = this.s;
    const primitive = this.owned.add(
      created("dnnl_primitive_create", (out) => s.dnnl_primitive_create(out, pd)),
      (h) => s.dnnl_primitive_destroy(h),
    );
    const all = [...args];
    let scratchpad: Handle | undefined;
    const scratchMd = s.dnnl_primitive_desc_query_md(pd, Query.scratchpadMd, 0);
    const bytes = scratchMd === null ? 0 : Number(s.dnnl_memory_desc_get_size(scratchMd));
    if (scratchMd !== null && bytes > 0) {
      scratchpad = this.#memory(scratchMd, null);
      all.push([Arg.scratchpad, scratchpad]);
      this.scratchpadBytes = Math.max(this.scratchpadBytes, bytes);
    }
    const buffer = new Uint8Array(all.length * SIZEOF.execArg);
    const view = new DataView(buffer.buffer);
    all.forEach(([arg, memory], i) => {
      view.setInt32(i * SIZEOF.execArg, arg, true);
      view.setBigUint64(i * SIZEOF.execArg + 8, BigInt(Deno.UnsafePointer.value(memory)), true);
    });
    return { primitive, args: buffer, nargs: all.length, scratchpad };
  }

  /**
   * The memory a primitive reads weights from (`direction` "in") or writes
   * their gradient to ("out"), when the caller's copy is HWIO: the caller's own
   * memory if the primitive took HWIO, else a oneDNN-owned buffer in the
   * primitive's layout with a reorder step before or after the main one.
   */
  weights(hwio: Uint8Array, wanted: Handle, direction: "in" | "out"): Handle {
    const user = this.userMemory(hwio);
    if (this.s.dnnl_memory_desc_equal(pointerOf(hwio), wanted) === 1) return user;
    const inner = this.#memory(wanted, memoryAllocate());
    const [from, to] = direction === "in" ? [pointerOf(hwio), wanted] : [wanted, pointerOf(hwio)];
    const s = this.s;
    const pd = this.owned.add(
      created(
        "dnnl_reorder_primitive_desc_create",
        (out) =>
          s.dnnl_reorder_primitive_desc_create(out, from, this.engine, to, this.engine, null),
      ),
      (h) => s.dnnl_primitive_desc_destroy(h),
    );
    this.weightsReorder = this.implOf(pd);
    const args = direction === "in"
      ? [[Arg.from, user], [Arg.to, inner]] as const
      : [[Arg.from, inner], [Arg.to, user]] as const;
    (direction === "in" ? this.before : this.after).push(this.#step(pd, args));
    return inner;
  }

  execute(pd: Handle, args: readonly (readonly [number, Handle])[]): void {
    this.impl = this.implOf(pd);
    this.main = this.#step(pd, args);
  }
}

export class OneDnnKernels {
  readonly #s: OneDnnSymbols;
  readonly #lib: OneDnnLibrary;
  readonly #counter = { live: 0 };
  readonly #global: Owned;
  readonly #engine: Handle;
  readonly #stream: Handle;
  readonly #entries = new Map<string, Entry>();
  #scratch?: { owned: Owned; pointer: Handle; bytes: number };
  #disposed = false;

  /** `threads` sets the library's thread count (default: left as the runtime has it, all cores). */
  constructor(library: OneDnnLibrary, options: { threads?: number } = {}) {
    this.#lib = library;
    const s = this.#s = library.symbols;
    this.#global = new Owned(this.#counter);
    if (options.threads !== undefined) this.#setThreadCount(options.threads);
    this.#engine = this.#global.add(
      created("dnnl_engine_create", (out) => s.dnnl_engine_create(out, EngineKind.cpu, 0n)),
      (h) => s.dnnl_engine_destroy(h),
    );
    this.#stream = this.#global.add(
      created(
        "dnnl_stream_create",
        (out) => s.dnnl_stream_create(out, this.#engine, STREAM_DEFAULT_FLAGS),
      ),
      (h) => s.dnnl_stream_destroy(h),
    );
  }

  /** "oneDNN 2.6.3". */
  get description(): string {
    return this.#lib.description;
  }

  /** The threads the kernels run on (the OpenMP runtime's count; all cores under TBB). */
  get threads(): number {
    return this.#lib.threads?.get() ??
      (this.#lib.version.cpuRuntime === "sequential" ? 1 : navigator.hardwareConcurrency);
  }

  /**
   * Sets the thread count. oneDNN splits work for the thread count it sees
   * when a primitive is made, so the cached primitives are rebuilt.
   */
  setThreads(threads: number): void {
    this.#alive();
    this.#setThreadCount(threads);
    this.#dropEntries();
  }

  #setThreadCount(threads: number): void {
    if (!this.#lib.threads) {
      throw new Error(
        `${this.#lib.description} runs on the ${this.#lib.version.cpuRuntime} runtime, ` +
          `whose thread count cannot be set from here`,
      );
    }
    this.#lib.threads.set(threads);
  }

  /** Native objects alive now (engine, stream, primitives, memories, scratch): for leak checks. */
  liveObjects(): number {
    return this.#counter.live;
  }

  /** One entry per cached kernel and shape: which implementation oneDNN chose. */
  describe(): PrimitiveInfo[] {
    return [...this.#entries.values()].map((e) => ({ ...e.info }));
  }

  /** Frees every native object; the instance cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#dropEntries();
    this.#global.release("the engine and stream");
  }

  /**
   * y = x ⊛ filter (+ bias) (then ReLU when `options.relu`): x NHWC
   * [batch, inHeight, inWidth, inChannels], filter HWIO, bias [outChannels],
   * y NHWC [batch, outHeight, outWidth, outChannels].
   */
  conv2dForward(
    p: Conv2DParams,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | undefined,
    y: Float32Array,
    options: { relu?: boolean } = {},
  ): void {
    this.#checkConvViews(p, { x, filter, y });
    if (bias) expectLength("bias", bias, p.outChannels);
    const relu = options.relu ?? false;
    const shape = `${convShape(p)}${bias ? " +bias" : ""}${relu ? " +relu" : ""}`;
    const entry = this.#entry("conv2dForward", shape, (b) => {
      const g = this.#convGeometry(p);
      const src = b.md([p.batch, p.inChannels, p.inHeight, p.inWidth], FormatTag.nhwc);
      const weightsAny = b.md(g.weights, FormatTag.any);
      const biasMd = bias ? b.md([p.outChannels], FormatTag.a) : undefined;
      const dst = b.md([p.batch, p.outChannels, p.outHeight, p.outWidth], FormatTag.nhwc);
      const desc = new Uint8Array(SIZEOF.convolutionDesc);
      check(
        "dnnl_dilated_convolution_forward_desc_init",
        this.#s.dnnl_dilated_convolution_forward_desc_init(
          desc,
          PropKind.forwardTraining,
          AlgKind.convolutionDirect,
          src,
          weightsAny,
          biasMd ? pointerOf(biasMd) : null,
          dst,
          g.strides,
          g.dilates,
          g.padL,
          g.padR,
        ),
      );
      const pd = b.primitiveDesc("convolution forward", desc, b.attr(relu), null);
      const xMem = b.userMemory(src);
      const w = b.weights(b.md(g.weights, FormatTag.hwio), b.query(pd, Query.weightsMd), "in");
      const args: [number, Handle][] = [[Arg.src, xMem], [Arg.weights, w]];
      if (biasMd) args.push([Arg.bias, b.userMemory(biasMd)]);
      args.push([Arg.dst, b.userMemory(dst)]);
      b.execute(pd, args);
    });
    this.#run(entry, bias ? [x, filter, bias, y] : [x, filter, y]);
  }

  /** dx = the gradient of conv2dForward's x, given dy (NHWC) and the HWIO filter. */
  conv2dBackwardData(
    p: Conv2DParams,
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
  ): void {
    this.#checkConvViews(p, { x: dx, filter, y: dy });
    const entry = this.#entry("conv2dBackwardData", convShape(p), (b) => {
      const g = this.#convGeometry(p);
      const src = b.md([p.batch, p.inChannels, p.inHeight, p.inWidth], FormatTag.nhwc);
      const weightsAny = b.md(g.weights, FormatTag.any);
      const dst = b.md([p.batch, p.outChannels, p.outHeight, p.outWidth], FormatTag.nhwc);
      const hint = this.#forwardHint(b, p, src, weightsAny, undefined, dst);
      const desc = new Uint8Array(SIZEOF.convolutionDesc);
      check(
        "dnnl_dilated_convolution_backward_data_desc_init",
        this.#s.dnnl_dilated_convolution_backward_data_desc_init(
          desc,
          AlgKind.convolutionDirect,
          src,
          weightsAny,
          dst,
          g.strides,
          g.dilates,
          g.padL,
          g.padR,
        ),
      );
      const pd = b.primitiveDesc("convolution backward data", desc, b.attr(false), hint);
      const dyMem = b.userMemory(dst);
      const w = b.weights(b.md(g.weights, FormatTag.hwio), b.query(pd, Query.weightsMd), "in");
      b.execute(pd, [[Arg.diffDst, dyMem], [Arg.weights, w], [Arg.diffSrc, b.userMemory(src)]]);
    });
    this.#run(entry, [dy, filter, dx]);
  }

  /**
   * dFilter (HWIO) = the gradient of conv2dForward's filter, given x and dy;
   * with `dBias`, also the bias gradient (dy summed over batch and space).
   */
  conv2dBackwardFilter(
    p: Conv2DParams,
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
    dBias?: Float32Array,
  ): void {
    this.#checkConvViews(p, { x, filter: dFilter, y: dy });
    if (dBias) expectLength("dBias", dBias, p.outChannels);
    const shape = `${convShape(p)}${dBias ? " +bias" : ""}`;
    const entry = this.#entry("conv2dBackwardFilter", shape, (b) => {
      const g = this.#convGeometry(p);
      const src = b.md([p.batch, p.inChannels, p.inHeight, p.inWidth], FormatTag.nhwc);
      const weightsAny = b.md(g.weights, FormatTag.any);
      const biasMd = dBias ? b.md([p.outChannels], FormatTag.a) : undefined;
      const dst = b.md([p.batch, p.outChannels, p.outHeight, p.outWidth], FormatTag.nhwc);
      const hint = this.#forwardHint(b, p, src, weightsAny, biasMd, dst);
      const desc = new Uint8Array(SIZEOF.convolutionDesc);
      check(
        "dnnl_dilated_convolution_backward_weights_desc_init",
        this.#s.dnnl_dilated_convolution_backward_weights_desc_init(
          desc,
          AlgKind.convolutionDirect,
          src,
          weightsAny,
          biasMd ? pointerOf(biasMd) : null,
          dst,
          g.strides,
          g.dilates,
          g.padL,
          g.padR,
        ),
      );
      const pd = b.primitiveDesc("convolution backward weights", desc, b.attr(false), hint);
      const xMem = b.userMemory(src);
      const dyMem = b.userMemory(dst);
      const dw = b.weights(
        b.md(g.weights, FormatTag.hwio),
        b.query(pd, Query.diffWeightsMd),
        "out",
      );
      const args: [number, Handle][] = [[Arg.src, xMem], [Arg.diffDst, dyMem], [
        Arg.diffWeights,
        dw,
      ]];
      if (biasMd) args.push([Arg.diffBias, b.userMemory(biasMd)]);
      b.execute(pd, args);
    });
    this.#run(entry, dBias ? [x, dy, dFilter, dBias] : [x, dy, dFilter]);
  }

  /**
   * c = op(a) · op(b) (+ bias broadcast over rows) (then ReLU), see
   * `MatMulShape`; bias has n elements.
   */
  matMul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    shape: MatMulShape,
    options: { bias?: Float32Array; relu?: boolean } = {},
  ): void {
    this.#alive();
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
    const entry = this.#entry("matMul", key, (builder) => {
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
        this.#s.dnnl_matmul_desc_init(desc, src, weights, biasMd ? pointerOf(biasMd) : null, dst),
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
    this.#run(entry, bias ? [a, b, bias, c] : [a, b, c]);
  }

  /**
   * out = a op b element by element (see `BinaryShape`). Exact float32
   * arithmetic, one rounding per element, so the result is bit for bit the
   * wasm kernels'; what the native path adds is both cores and wider vectors.
   */
  binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, shape: BinaryShape) {
    this.#alive();
    const { rows, columns, broadcastRow } = shape;
    expectPositive(`binary ${op}`, { rows, columns });
    const n = rows * columns;
    expectLength("a", a, n);
    expectLength("b", b, broadcastRow ? columns : n);
    expectLength("out", out, n);
    const key = `${op} ${rows}x${columns}${broadcastRow ? " + row" : ""}`;
    const entry = this.#entry("binary", key, (builder) => {
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
        this.#s.dnnl_binary_desc_init(desc, BINARY_ALG[op], full, second, dst),
      );
      const pd = builder.primitiveDesc(`binary ${op}`, desc, builder.attr(false), null);
      builder.execute(pd, [
        [Arg.src, builder.userMemory(full)],
        [Arg.src1, builder.userMemory(second)],
        [Arg.dst, builder.userMemory(dst)],
      ]);
    });
    this.#run(entry, [a, b, out]);
  }

  /** y = max(x, 0) element by element (exact, as the wasm kernel; a negative input may give −0). */
  relu(x: Float32Array, y: Float32Array): void {
    this.#alive();
    expectPositive("relu", { length: x.length });
    expectLength("y", y, x.length);
    const entry = this.#entry("relu", `${x.length}`, (builder) => {
      const data = builder.md([x.length], FormatTag.a);
      const desc = new Uint8Array(SIZEOF.eltwiseDesc);
      check(
        "dnnl_eltwise_forward_desc_init",
        this.#s.dnnl_eltwise_forward_desc_init(
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
    this.#run(entry, [x, y]);
  }

  /** dx = dy where x > 0, else dy · 0 (ReLU's gradient; exact, as dy · step(x) on wasm). */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
    this.#alive();
    expectPositive("reluGrad", { length: x.length });
    expectLength("dy", dy, x.length);
    expectLength("dx", dx, x.length);
    const entry = this.#entry("reluGrad", `${x.length}`, (builder) => {
      const data = builder.md([x.length], FormatTag.a);
      const forward = new Uint8Array(SIZEOF.eltwiseDesc);
      check(
        "dnnl_eltwise_forward_desc_init (hint)",
        this.#s.dnnl_eltwise_forward_desc_init(
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
        this.#s.dnnl_eltwise_backward_desc_init(desc, AlgKind.eltwiseRelu, data, data, 0, 0),
      );
      const pd = builder.primitiveDesc("eltwise relu backward", desc, builder.attr(false), hint);
      builder.execute(pd, [
        [Arg.diffDst, builder.userMemory(data)],
        [Arg.src, builder.userMemory(data)],
        [Arg.diffSrc, builder.userMemory(data)],
      ]);
    });
    this.#run(entry, [dy, x, dx]);
  }

  /** y = the maximum of each pooling window of x (NHWC; padding never wins, as in tfjs). */
  maxPool(p: Pool2DParams, x: Float32Array, y: Float32Array): void {
    this.#alive();
    checkPool(p);
    expectLength("x", x, p.batch * p.inHeight * p.inWidth * p.channels);
    expectLength("y", y, p.batch * p.outHeight * p.outWidth * p.channels);
    const entry = this.#entry("maxPool", poolShape(p), (builder) => {
      const src = builder.md([p.batch, p.channels, p.inHeight, p.inWidth], FormatTag.nhwc);
      const dst = builder.md([p.batch, p.channels, p.outHeight, p.outWidth], FormatTag.nhwc);
      const desc = new Uint8Array(SIZEOF.poolingV2Desc);
      check(
        "dnnl_pooling_v2_forward_desc_init",
        this.#s.dnnl_pooling_v2_forward_desc_init(
          desc,
          PropKind.forwardInference,
          AlgKind.poolingMax,
          src,
          dst,
          dims([p.strideHeight, p.strideWidth]),
          dims([p.filterHeight, p.filterWidth]),
          dims([0, 0]),
          dims([p.padTop, p.padLeft]),
          dims([p.padBottom, p.padRight]),
        ),
      );
      const pd = builder.primitiveDesc("max pooling", desc, builder.attr(false), null);
      builder.execute(pd, [[Arg.src, builder.userMemory(src)], [
        Arg.dst,
        builder.userMemory(dst),
      ]]);
    });
    this.#run(entry, [x, y]);
  }

  /**
   * Batch normalisation in training mode: the batch's mean and biased variance
   * per channel, and y = γ·(x − mean)/√(variance + ε) + β. oneDNN sums in
   * float32 over blocks spread across the threads, so the statistics agree with
   * the wasm kernel's float64 sums to float32 rounding, not bit for bit.
   */
  batchNormTrain(
    p: BatchNormShape,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    out: { y: Float32Array; mean: Float32Array; variance: Float32Array },
  ): void {
    this.#checkBatchNorm(p, { x, gamma, beta, ...out });
    this.#run(this.#batchNormTrainEntry(p), [x, gamma, beta, out.y, out.mean, out.variance]);
  }

  /**
   * Whether oneDNN has a vectorised (jit) batch norm for this shape, both ways.
   * Where it has not (channel counts that fit no vector width, on some CPUs) it
   * falls back to plain C++ loops, measured up to 5× slower than the wasm
   * kernel, so the caller should keep the wasm kernel there.
   */
  batchNormVectorised(p: BatchNormShape): boolean {
    this.#checkBatchNorm(p, {});
    return [this.#batchNormTrainEntry(p), this.#batchNormGradEntry(p)]
      .every((e) => e.info.impl.includes("jit"));
  }

  #batchNormTrainEntry(p: BatchNormShape): Entry {
    return this.#entry("batchNormTrain", batchNormKey(p), (b) => {
      const { data, channel } = this.#batchNormMds(b, p);
      const desc = this.#batchNormForwardDesc(p, data, "training");
      const pd = b.primitiveDesc("batch normalization forward", desc, b.attr(false), null);
      b.execute(pd, [
        [Arg.src, b.userMemory(data)],
        [Arg.scale, b.userMemory(channel)],
        [Arg.shift, b.userMemory(channel)],
        [Arg.dst, b.userMemory(data)],
        [Arg.mean, b.userMemory(channel)],
        [Arg.variance, b.userMemory(channel)],
      ]);
    });
  }

  /**
   * batchNormTrain's gradients given dy and the statistics it returned: dx
   * (through the mean and variance too), dγ = Σ dy·x̂ and dβ = Σ dy per channel.
   */
  batchNormGrad(
    p: BatchNormShape,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    out: { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array },
  ): void {
    this.#checkBatchNorm(p, {
      dy,
      x,
      dx: out.dx,
      mean,
      variance,
      gamma,
      dgamma: out.dgamma,
      dbeta: out.dbeta,
    });
    this.#run(
      this.#batchNormGradEntry(p),
      [dy, x, mean, variance, gamma, out.dbeta, out.dx, out.dgamma, out.dbeta],
    );
  }

  #batchNormGradEntry(p: BatchNormShape): Entry {
    return this.#entry("batchNormGrad", batchNormKey(p), (b) => {
      const { data, channel } = this.#batchNormMds(b, p);
      const forward = this.#batchNormForwardDesc(p, data, "training");
      const hint = b.primitiveDesc("batch normalization hint", forward, null, null);
      const desc = new Uint8Array(SIZEOF.batchNormDesc);
      check(
        "dnnl_batch_normalization_backward_desc_init",
        this.#s.dnnl_batch_normalization_backward_desc_init(
          desc,
          PropKind.backward,
          data,
          data,
          p.epsilon,
          BATCH_NORM_FLAGS,
        ),
      );
      const pd = b.primitiveDesc("batch normalization backward", desc, b.attr(false), hint);
      b.execute(pd, [
        [Arg.diffDst, b.userMemory(data)],
        [Arg.src, b.userMemory(data)],
        [Arg.mean, b.userMemory(channel)],
        [Arg.variance, b.userMemory(channel)],
        [Arg.scale, b.userMemory(channel)],
        // oneDNN 2.6 insists on a shift argument here though no gradient depends on β;
        // dβ's own buffer serves (it is written after the shift would be read).
        [Arg.shift, b.userMemory(channel)],
        [Arg.diffSrc, b.userMemory(data)],
        [Arg.diffScale, b.userMemory(channel)],
        [Arg.diffShift, b.userMemory(channel)],
      ]);
    });
  }

  /**
   * Batch normalisation with given statistics (inference): y = γ·(x −
   * mean)/√(variance + ε) + β per channel. oneDNN folds γ/√(variance + ε) into
   * one factor, so this agrees with tfjs's FusedBatchNorm to float32 rounding
   * (a few ulps), not bit for bit. Use where `batchNormVectorised` holds.
   */
  batchNormInference(
    p: BatchNormShape,
    x: Float32Array,
    stats: { mean: Float32Array; variance: Float32Array; gamma: Float32Array; beta: Float32Array },
    y: Float32Array,
  ): void {
    this.#checkBatchNorm(p, { x, y, ...stats });
    const entry = this.#entry("batchNormInference", batchNormKey(p), (b) => {
      const { data, channel } = this.#batchNormMds(b, p);
      const desc = this.#batchNormForwardDesc(p, data, "inference");
      const pd = b.primitiveDesc("batch normalization inference", desc, b.attr(false), null);
      b.execute(pd, [
        [Arg.src, b.userMemory(data)],
        [Arg.mean, b.userMemory(channel)],
        [Arg.variance, b.userMemory(channel)],
        [Arg.scale, b.userMemory(channel)],
        [Arg.shift, b.userMemory(channel)],
        [Arg.dst, b.userMemory(data)],
      ]);
    });
    this.#run(entry, [x, stats.mean, stats.variance, stats.gamma, stats.beta, y]);
  }

  #checkBatchNorm(p: BatchNormShape, views: Record<string, Float32Array>): void {
    this.#alive();
    expectPositive("batch norm", { batch: p.batch, spatial: p.spatial, channels: p.channels });
    if (!(p.epsilon > 0)) throw new RangeError(`batch norm epsilon ${p.epsilon} must be > 0`);
    for (const [name, view] of Object.entries(views)) {
      expectLength(
        name,
        view,
        BATCH_NORM_PER_CHANNEL.has(name) ? p.channels : p.batch * p.spatial * p.channels,
      );
    }
  }

  /** The data (NHWC as [batch, channels, spatial, 1]) and per-channel descriptors. */
  #batchNormMds(b: Builder, p: BatchNormShape) {
    return {
      data: b.md([p.batch, p.channels, p.spatial, 1], FormatTag.nhwc),
      channel: b.md([p.channels], FormatTag.a),
    };
  }

  /** A forward descriptor: batch statistics in training, given ones (the moving averages) at inference. */
  #batchNormForwardDesc(p: BatchNormShape, data: Uint8Array, mode: "training" | "inference") {
    const desc = new Uint8Array(SIZEOF.batchNormDesc);
    const training = mode === "training";
    check(
      `dnnl_batch_normalization_forward_desc_init (${mode})`,
      this.#s.dnnl_batch_normalization_forward_desc_init(
        desc,
        training ? PropKind.forwardTraining : PropKind.forwardInference,
        data,
        p.epsilon,
        training ? BATCH_NORM_FLAGS : BATCH_NORM_FLAGS | NormalizationFlags.useGlobalStats,
      ),
    );
    return desc;
  }

  #alive(): void {
    if (this.#disposed) throw new Error("OneDnnKernels used after dispose()");
  }

  #checkConvViews(
    p: Conv2DParams,
    views: { x: Float32Array; filter: Float32Array; y: Float32Array },
  ): void {
    this.#alive();
    checkConv(p);
    expectLength("x", views.x, p.batch * p.inHeight * p.inWidth * p.inChannels);
    expectLength(
      "filter",
      views.filter,
      p.filterHeight * p.filterWidth * p.inChannels * p.outChannels,
    );
    expectLength("y", views.y, p.batch * p.outHeight * p.outWidth * p.outChannels);
  }

  #convGeometry(p: Conv2DParams) {
    return {
      weights: [p.outChannels, p.inChannels, p.filterHeight, p.filterWidth],
      strides: dims([p.strideHeight, p.strideWidth]),
      dilates: dims([p.dilationHeight - 1, p.dilationWidth - 1]),
      padL: dims([p.padTop, p.padLeft]),
      padR: dims([p.padBottom, p.padRight]),
    };
  }

  /** The forward descriptor a backward one must be created against (kept alive with it). */
  #forwardHint(
    b: Builder,
    p: Conv2DParams,
    src: Uint8Array,
    weights: Uint8Array,
    bias: Uint8Array | undefined,
    dst: Uint8Array,
  ): Handle {
    const g = this.#convGeometry(p);
    const desc = new Uint8Array(SIZEOF.convolutionDesc);
    check(
      "dnnl_dilated_convolution_forward_desc_init (hint)",
      this.#s.dnnl_dilated_convolution_forward_desc_init(
        desc,
        PropKind.forwardTraining,
        AlgKind.convolutionDirect,
        src,
        weights,
        bias ? pointerOf(bias) : null,
        dst,
        g.strides,
        g.dilates,
        g.padL,
        g.padR,
      ),
    );
    return b.primitiveDesc("convolution forward hint", desc, null, null);
  }

  #entry(kernel: KernelName, shape: string, build: (b: Builder) => void): Entry {
    const key = `${kernel}|${shape}`;
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const owned = new Owned(this.#counter);
    const b = new Builder(this.#s, this.#engine, owned, this.#counter);
    try {
      build(b);
      this.#ensureScratch(b.scratchpadBytes);
    } catch (e) {
      owned.release(`the half-built ${kernel} primitive`);
      throw e;
    } finally {
      b.temporary.release("primitive attributes");
    }
    const entry: Entry = {
      info: {
        kernel,
        shape,
        impl: b.impl,
        weightsReorder: b.weightsReorder,
        scratchpadBytes: b.scratchpadBytes,
      },
      user: b.user,
      steps: [...b.before, b.main!, ...b.after],
      owned,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  /** One scratch buffer for every primitive, grown to the largest need. */
  #ensureScratch(bytes: number): void {
    if (bytes === 0 || (this.#scratch && this.#scratch.bytes >= bytes)) return;
    this.#scratch?.owned.release("the scratchpad");
    this.#scratch = undefined;
    const s = this.#s;
    const owned = new Owned(this.#counter);
    const md = new Uint8Array(SIZEOF.memoryDesc);
    check(
      "dnnl_memory_desc_init_by_tag (scratchpad)",
      s.dnnl_memory_desc_init_by_tag(md, 1, dims([bytes]), DataType.u8, FormatTag.a),
    );
    const memory = owned.add(
      created(
        "dnnl_memory_create (scratchpad)",
        (out) => s.dnnl_memory_create(out, pointerOf(md), this.#engine, memoryAllocate()),
      ),
      (h) => s.dnnl_memory_destroy(h),
    );
    const out = new BigUint64Array(1);
    check("dnnl_memory_get_data_handle", s.dnnl_memory_get_data_handle(memory, out));
    const pointer = Deno.UnsafePointer.create(out[0]);
    if (pointer === null) throw new Error("the scratchpad memory has no buffer");
    this.#scratch = { owned, pointer, bytes };
  }

  #run(entry: Entry, views: readonly Float32Array[]): void {
    const s = this.#s;
    views.forEach((view, i) =>
      check(
        "dnnl_memory_set_data_handle",
        s.dnnl_memory_set_data_handle(entry.user[i], pointerOf(view)),
      )
    );
    for (const step of entry.steps) {
      if (step.scratchpad) {
        check(
          "dnnl_memory_set_data_handle (scratchpad)",
          s.dnnl_memory_set_data_handle(step.scratchpad, this.#scratch!.pointer),
        );
      }
      check(
        `dnnl_primitive_execute (${entry.info.kernel} ${entry.info.shape})`,
        s.dnnl_primitive_execute(step.primitive, this.#stream, step.nargs, step.args),
      );
    }
    check("dnnl_stream_wait", s.dnnl_stream_wait(this.#stream));
  }

  #dropEntries(): void {
    for (const entry of this.#entries.values()) entry.owned.release(entry.info.kernel);
    this.#entries.clear();
    this.#scratch?.owned.release("the scratchpad");
    this.#scratch = undefined;
  }
}
