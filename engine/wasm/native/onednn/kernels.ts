/**
 * The oneDNN kernels, in place on caller-owned Float32Arrays (the wasm heap's
 * SharedArrayBuffer or any ArrayBuffer), in tfjs's layouts: activations NHWC,
 * filters HWIO, matrices row-major. One object over the primitive families
 * (`convolution.ts`, `matmul.ts`, `batch_norm.ts`, `eltwise.ts`,
 * `pooling.ts`, `reorder.ts`), which share its engine, stream and primitive cache. Every
 * native object made here is counted and freed by `dispose()`.
 *
 * One instance belongs to one JS thread: OpenMP's thread count is per calling
 * thread, and the shared scratchpad serves one call at a time.
 */
import type { OneDnnLibrary } from "../loader.ts";
import { created, EngineKind, STREAM_DEFAULT_FLAGS } from "../onednn_ffi.ts";
import * as batchNorm from "./batch_norm.ts";
import type { BatchNormShape } from "./batch_norm.ts";
import { type Handle, Owned } from "./builder.ts";
import { PrimitiveCache, type PrimitiveInfo } from "./cache.ts";
import * as convolution from "./convolution.ts";
import type { Conv2DParams } from "./convolution.ts";
import * as eltwise from "./eltwise.ts";
import type { BinaryOp, BinaryShape } from "./eltwise.ts";
import * as matmul from "./matmul.ts";
import type { MatMulShape } from "./matmul.ts";
import * as pooling from "./pooling.ts";
import * as reorder from "./reorder.ts";
import type { Pool2DParams } from "./pooling.ts";

export class OneDnnKernels {
  readonly #lib: OneDnnLibrary;
  readonly #counter = { live: 0 };
  readonly #global: Owned;
  readonly #engine: Handle;
  readonly #stream: Handle;
  readonly #cache: PrimitiveCache;
  #disposed = false;

  /** `threads` sets the library's thread count (default: left as the runtime has it, all cores). */
  constructor(library: OneDnnLibrary, options: { threads?: number } = {}) {
    this.#lib = library;
    const s = library.symbols;
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
    this.#cache = new PrimitiveCache(s, this.#engine, this.#stream, this.#counter);
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
    this.#cache.clear();
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
    return this.#cache.describe();
  }

  /** Frees every native object; the instance cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#cache.clear();
    this.#global.release("the engine and stream");
  }

  // The kernels: each is documented where its family implements it.

  /** See `convolution.conv2dForward`. */
  conv2dForward(
    p: Conv2DParams,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | undefined,
    y: Float32Array,
    options: { relu?: boolean } = {},
  ): void {
    this.#alive();
    convolution.conv2dForward(this.#cache, p, x, filter, bias, y, options);
  }

  /** See `convolution.conv2dBackwardData`. */
  conv2dBackwardData(p: Conv2DParams, dy: Float32Array, filter: Float32Array, dx: Float32Array) {
    this.#alive();
    convolution.conv2dBackwardData(this.#cache, p, dy, filter, dx);
  }

  /** See `convolution.conv2dBackwardFilter`. */
  conv2dBackwardFilter(
    p: Conv2DParams,
    x: Float32Array,
    dy: Float32Array,
    dFilter: Float32Array,
    dBias?: Float32Array,
  ): void {
    this.#alive();
    convolution.conv2dBackwardFilter(this.#cache, p, x, dy, dFilter, dBias);
  }

  /** See `matmul.matMul`. */
  matMul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    shape: MatMulShape,
    options: { bias?: Float32Array; relu?: boolean } = {},
  ): void {
    this.#alive();
    matmul.matMul(this.#cache, a, b, c, shape, options);
  }

  /** See `eltwise.binary`. */
  binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, shape: BinaryShape) {
    this.#alive();
    eltwise.binary(this.#cache, op, a, b, out, shape);
  }

  /** See `eltwise.relu`. */
  relu(x: Float32Array, y: Float32Array): void {
    this.#alive();
    eltwise.relu(this.#cache, x, y);
  }

  /** See `eltwise.reluGrad`. */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
    this.#alive();
    eltwise.reluGrad(this.#cache, dy, x, dx);
  }

  /** See `pooling.maxPool`. */
  maxPool(p: Pool2DParams, x: Float32Array, y: Float32Array, workspace?: Uint8Array): void {
    this.#alive();
    pooling.maxPool(this.#cache, p, x, y, workspace);
  }

  /** See `pooling.maxPoolWorkspaceBytes`. */
  maxPoolWorkspaceBytes(p: Pool2DParams): number {
    this.#alive();
    return pooling.maxPoolWorkspaceBytes(this.#cache, p);
  }

  /** See `pooling.maxPoolGrad`. */
  maxPoolGrad(p: Pool2DParams, dy: Float32Array, workspace: Uint8Array, dx: Float32Array): void {
    this.#alive();
    pooling.maxPoolGrad(this.#cache, p, dy, workspace, dx);
  }

  /** See `reorder.transpose`. */
  transpose(shape: readonly number[], perm: readonly number[], x: Float32Array, y: Float32Array) {
    this.#alive();
    reorder.transpose(this.#cache, shape, perm, x, y);
  }

  /** See `batch_norm.batchNormTrain`. */
  batchNormTrain(
    p: BatchNormShape,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    out: { y: Float32Array; mean: Float32Array; variance: Float32Array },
  ): void {
    this.#alive();
    batchNorm.batchNormTrain(this.#cache, p, x, gamma, beta, out);
  }

  /** See `batch_norm.batchNormVectorised`. */
  batchNormVectorised(p: BatchNormShape): boolean {
    this.#alive();
    return batchNorm.batchNormVectorised(this.#cache, p);
  }

  /** See `batch_norm.batchNormGrad`. */
  batchNormGrad(
    p: BatchNormShape,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    out: { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array },
  ): void {
    this.#alive();
    batchNorm.batchNormGrad(this.#cache, p, dy, x, mean, variance, gamma, out);
  }

  /** See `batch_norm.batchNormInference`. */
  batchNormInference(
    p: BatchNormShape,
    x: Float32Array,
    stats: { mean: Float32Array; variance: Float32Array; gamma: Float32Array; beta: Float32Array },
    y: Float32Array,
  ): void {
    this.#alive();
    batchNorm.batchNormInference(this.#cache, p, x, stats, y);
  }

  #alive(): void {
    if (this.#disposed) throw new Error("OneDnnKernels used after dispose()");
  }
}
