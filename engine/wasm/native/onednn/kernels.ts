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
import { type Handle, Owned } from "./builder.ts";
import { PrimitiveCache, type PrimitiveInfo } from "./cache.ts";
import * as convolution from "./convolution.ts";
import * as eltwise from "./eltwise.ts";
import * as matmul from "./matmul.ts";
import * as pooling from "./pooling.ts";
import * as reorder from "./reorder.ts";

/** A family function's parameters after the primitive cache: what its method here forwards. */
type AfterCache<F> = F extends (cache: PrimitiveCache, ...rest: infer R) => unknown ? R : never;

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

  // The kernels: each is documented where its family implements it, and takes what the family's
  // function takes after the cache.

  /** See `convolution.conv2dForward`. */
  conv2dForward(...args: AfterCache<typeof convolution.conv2dForward>): void {
    this.#alive();
    convolution.conv2dForward(this.#cache, ...args);
  }

  /** See `convolution.conv2dBackwardData`. */
  conv2dBackwardData(...args: AfterCache<typeof convolution.conv2dBackwardData>): void {
    this.#alive();
    convolution.conv2dBackwardData(this.#cache, ...args);
  }

  /** See `convolution.conv2dBackwardFilter`. */
  conv2dBackwardFilter(...args: AfterCache<typeof convolution.conv2dBackwardFilter>): void {
    this.#alive();
    convolution.conv2dBackwardFilter(this.#cache, ...args);
  }

  /** See `matmul.matMul`. */
  matMul(...args: AfterCache<typeof matmul.matMul>): void {
    this.#alive();
    matmul.matMul(this.#cache, ...args);
  }

  /** See `eltwise.binary`. */
  binary(...args: AfterCache<typeof eltwise.binary>): void {
    this.#alive();
    eltwise.binary(this.#cache, ...args);
  }

  /** See `eltwise.relu`. */
  relu(...args: AfterCache<typeof eltwise.relu>): void {
    this.#alive();
    eltwise.relu(this.#cache, ...args);
  }

  /** See `eltwise.reluGrad`. */
  reluGrad(...args: AfterCache<typeof eltwise.reluGrad>): void {
    this.#alive();
    eltwise.reluGrad(this.#cache, ...args);
  }

  /** See `pooling.maxPool`. */
  maxPool(...args: AfterCache<typeof pooling.maxPool>): void {
    this.#alive();
    pooling.maxPool(this.#cache, ...args);
  }

  /** See `pooling.maxPoolWorkspaceBytes`. */
  maxPoolWorkspaceBytes(...args: AfterCache<typeof pooling.maxPoolWorkspaceBytes>): number {
    this.#alive();
    return pooling.maxPoolWorkspaceBytes(this.#cache, ...args);
  }

  /** See `pooling.maxPoolGrad`. */
  maxPoolGrad(...args: AfterCache<typeof pooling.maxPoolGrad>): void {
    this.#alive();
    pooling.maxPoolGrad(this.#cache, ...args);
  }

  /** See `reorder.transpose`. */
  transpose(...args: AfterCache<typeof reorder.transpose>): void {
    this.#alive();
    reorder.transpose(this.#cache, ...args);
  }

  /** See `batch_norm.batchNormTrain`. */
  batchNormTrain(...args: AfterCache<typeof batchNorm.batchNormTrain>): void {
    this.#alive();
    batchNorm.batchNormTrain(this.#cache, ...args);
  }

  /** See `batch_norm.batchNormReluWorkspaceBytes`. */
  batchNormReluWorkspaceBytes(
    ...args: AfterCache<typeof batchNorm.batchNormReluWorkspaceBytes>
  ): number {
    this.#alive();
    return batchNorm.batchNormReluWorkspaceBytes(this.#cache, ...args);
  }

  /** See `batch_norm.batchNormVectorised`. */
  batchNormVectorised(...args: AfterCache<typeof batchNorm.batchNormVectorised>): boolean {
    this.#alive();
    return batchNorm.batchNormVectorised(this.#cache, ...args);
  }

  /** See `batch_norm.batchNormGrad`. */
  batchNormGrad(...args: AfterCache<typeof batchNorm.batchNormGrad>): void {
    this.#alive();
    batchNorm.batchNormGrad(this.#cache, ...args);
  }

  /** See `batch_norm.batchNormInference`. */
  batchNormInference(...args: AfterCache<typeof batchNorm.batchNormInference>): void {
    this.#alive();
    batchNorm.batchNormInference(this.#cache, ...args);
  }

  #alive(): void {
    if (this.#disposed) throw new Error("OneDnnKernels used after dispose()");
  }
}
