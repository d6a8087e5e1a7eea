/**
 * The shared builder of the oneDNN kernels: native objects owned and freed
 * together (`Owned`), and `Builder`, which makes one kernel's memories,
 * primitives and weights reorders on one shape for the cache (`cache.ts`).
 */
import {
  AlgKind,
  Arg,
  check,
  created,
  DataType,
  dims,
  memoryAllocate,
  type OneDnnSymbols,
  Query,
  ScratchpadMode,
  SIZEOF,
} from "../onednn_ffi.ts";

export type Handle = Deno.PointerObject;

/** One primitive execution with its prebuilt `dnnl_exec_arg_t` array. */
export interface Step {
  primitive: Handle;
  args: Uint8Array;
  nargs: number;
  /** This primitive's scratchpad memory, pointed at the shared scratch on every call. */
  scratchpad?: Handle;
}

/** Native objects with their destructors, freed in reverse order of creation; counted in `live`. */
export class Owned {
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

export function pointerOf(view: Uint8Array | Float32Array): Handle {
  // The heap may be a SharedArrayBuffer, which Deno's BufferSource typing leaves out;
  // Deno.UnsafePointer.of takes any ArrayBufferView at run time.
  const p = Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>);
  if (p === null) throw new RangeError("cannot take the address of an empty view");
  return p;
}

/** Builds one cache entry: the memories, primitives and reorders of one kernel on one shape. */
export class Builder {
  readonly user: Handle[] = [];
  readonly before: Step[] = [];
  readonly after: Step[] = [];
  main?: Step;
  impl = "";
  weightsReorder?: string;
  scratchpadBytes = 0;
  workspaceBytes?: number;
  /** Objects needed only while building (attributes, post-ops). */
  readonly temporary: Owned;

  constructor(
    readonly s: OneDnnSymbols,
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

  /** A user-managed scratchpad (one shared buffer, not a malloc per call); ReLU fused if asked. */
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

  /**
   * The first implementation oneDNN lists for `opDesc` whose name does not start with one of
   * `avoid`, or its first one when every one does.
   */
  primitiveDescAvoiding(
    what: string,
    opDesc: Uint8Array,
    attr: Handle | null,
    avoid: readonly string[],
  ): Handle {
    const s = this.s;
    const it = created(
      `dnnl_primitive_desc_iterator_create (${what})`,
      (out) => s.dnnl_primitive_desc_iterator_create(out, opDesc, attr, this.engine, null),
    );
    try {
      let first: Handle | undefined;
      do {
        const pd = s.dnnl_primitive_desc_iterator_fetch(it);
        if (pd === null) throw new Error(`dnnl_primitive_desc_iterator_fetch (${what}) gave NULL`);
        if (!avoid.some((a) => this.implOf(pd).startsWith(a))) {
          if (first !== undefined) s.dnnl_primitive_desc_destroy(first);
          return this.owned.add(pd, (h) => s.dnnl_primitive_desc_destroy(h));
        }
        if (first === undefined) first = pd;
        else s.dnnl_primitive_desc_destroy(pd);
      } while (s.dnnl_primitive_desc_iterator_next(it) === 0);
      return this.owned.add(first!, (h) => s.dnnl_primitive_desc_destroy(h));
    } finally {
      s.dnnl_primitive_desc_iterator_destroy(it);
    }
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

  /**
   * The workspace a forward pass writes and its backward pass reads, bound to the caller's bytes
   * (in the primitive's own layout); its size is recorded in `workspaceBytes`.
   */
  workspace(pd: Handle): Handle {
    const md = this.query(pd, Query.workspaceMd);
    this.workspaceBytes = Number(this.s.dnnl_memory_desc_get_size(md));
    const memory = this.#memory(md, null);
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

  /** A reorder's primitive descriptor: copies memory described by `from` into `to`'s layout. */
  reorderDesc(from: Handle, to: Handle): Handle {
    const s = this.s;
    return this.owned.add(
      created(
        "dnnl_reorder_primitive_desc_create",
        (out) =>
          s.dnnl_reorder_primitive_desc_create(out, from, this.engine, to, this.engine, null),
      ),
      (h) => s.dnnl_primitive_desc_destroy(h),
    );
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
    const pd = this.reorderDesc(from, to);
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
