/**
 * Our SIMD kernels (kernels_wat.ts), instantiated on the wasm backend's heap
 * so that they read and write tensors in place. Pointers are byte offsets
 * into that heap: a heap view's `byteOffset`.
 */
import { SIMD_KERNELS_WASM } from "./kernels_wasm.ts";

/** The kernels' exports; see kernels_wat.ts for what each computes. */
export interface SimdKernels {
  channelSums(n: number, c: number, x: number, sum: number): void;
  channelSquares(n: number, c: number, x: number, mean: number, sq: number): void;
  channelAffine(n: number, c: number, x: number, a: number, b: number, y: number): void;
  channelGradSums(
    n: number,
    c: number,
    dy: number,
    x: number,
    mean: number,
    sumDy: number,
    sumDyXc: number,
  ): void;
  channelGradApply(
    n: number,
    c: number,
    dy: number,
    x: number,
    a: number,
    b: number,
    cc: number,
    dx: number,
  ): void;
  maxPool2x2Grad(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
  ): void;
  /** [A,B,C] → [B,A,C], 4-byte elements, C % 4 == 0. */
  swapOuter(src: number, dst: number, a: number, b: number, c: number): void;
  /** [A,B,C] → [C,B,A], 4-byte elements, A % 4 == 0 and C % 4 == 0. */
  swapOuterInner(src: number, dst: number, a: number, b: number, c: number): void;
  adam(
    value: number,
    m: number,
    v: number,
    g: number,
    outValue: number,
    outM: number,
    outV: number,
    n: number,
    b1: number,
    omb1: number,
    b2: number,
    omb2: number,
    c1: number,
    c2: number,
    eps: number,
    negLr: number,
  ): void;
}

/** The Emscripten module of tfjs-backend-wasm, as far as finding its memory goes. */
interface EmscriptenModule {
  /** Threaded builds: the shared memory the module imports. */
  wasmMemory?: WebAssembly.Memory;
  /** Single-threaded builds: the instance's exports, memory among them. */
  asm?: Record<string, unknown>;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

/** The backend's heap memory, or undefined when this tfjs build hides it. */
export function heapMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: EmscriptenModule } | undefined)?.wasm;
  if (wasm?.wasmMemory instanceof WebAssembly.Memory) return wasm.wasmMemory;
  const exported = wasm?.asm?.memory;
  return exported instanceof WebAssembly.Memory ? exported : undefined;
}

/**
 * The kernels on this backend's heap (one instance per memory), or undefined
 * where they cannot run (no SIMD, or no reachable memory): callers then use
 * their JS loops, which compute the same numbers.
 */
export function simdKernelsFor(backend: unknown): SimdKernels | undefined {
  const memory = heapMemory(backend);
  if (memory === undefined) return undefined;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const bytes = decode(shared ? SIMD_KERNELS_WASM.shared : SIMD_KERNELS_WASM.unshared);
    // Invalid only where the engine lacks SIMD; any other failure is a bug worth seeing.
    kernels = WebAssembly.validate(bytes)
      ? new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
        .exports as unknown as SimdKernels
      : null;
    instances.set(memory, kernels);
  }
  return kernels ?? undefined;
}
