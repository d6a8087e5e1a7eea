/**
 * The oneDNN kernels' cache: each kernel on each distinct shape builds its
 * primitives once (through `Builder`) and keeps them, with one scratchpad
 * shared by every primitive. Pointers are taken from the views on every call
 * because the wasm heap can grow and be replaced between calls.
 */
import {
  check,
  created,
  DataType,
  dims,
  FormatTag,
  memoryAllocate,
  type OneDnnSymbols,
  SIZEOF,
} from "../onednn_ffi.ts";
import { Builder, type Handle, Owned, pointerOf, type Step } from "./builder.ts";

export type KernelName =
  | "conv2dForward"
  | "conv2dBackwardData"
  | "conv2dBackwardFilter"
  | "matMul"
  | "binary"
  | "relu"
  | "reluGrad"
  | "maxPool"
  | "maxPoolGrad"
  | "transpose"
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
  /** Bytes of the workspace a training forward pass writes for its backward pass (max pooling). */
  workspaceBytes?: number;
}

export interface Entry {
  info: PrimitiveInfo;
  /** Memories bound to the caller's views, in the order the kernel passes them. */
  user: Handle[];
  steps: Step[];
  owned: Owned;
}

export class PrimitiveCache {
  readonly #entries = new Map<string, Entry>();
  #scratch?: { owned: Owned; pointer: Handle; bytes: number };

  readonly #s: OneDnnSymbols;
  readonly #engine: Handle;
  readonly #stream: Handle;
  /** The owner's count of live native objects, which the entries join. */
  readonly #counter: { live: number };

  constructor(s: OneDnnSymbols, engine: Handle, stream: Handle, counter: { live: number }) {
    this.#s = s;
    this.#engine = engine;
    this.#stream = stream;
    this.#counter = counter;
  }

  /** The kernel's cached entry for `shape`, built by `build` on first use. */
  entry(kernel: KernelName, shape: string, build: (b: Builder) => void): Entry {
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
        workspaceBytes: b.workspaceBytes,
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

  /** Runs an entry on the caller's views, in the order its builder made the user memories. */
  run(entry: Entry, views: readonly (Float32Array | Uint8Array)[]): void {
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

  /** Frees every entry and the scratchpad; the cache can be filled again. */
  clear(): void {
    for (const entry of this.#entries.values()) entry.owned.release(entry.info.kernel);
    this.#entries.clear();
    this.#scratch?.owned.release("the scratchpad");
    this.#scratch = undefined;
  }

  /** One entry per cached kernel and shape: which implementation oneDNN chose. */
  describe(): PrimitiveInfo[] {
    return [...this.#entries.values()].map((e) => ({ ...e.info }));
  }
}
