/**
 * Finding and opening oneDNN: a short list of library names per OS (or the
 * caller's path), the version read first so that a oneDNN 3 is turned away by
 * name instead of by a missing symbol, then every symbol the kernels use.
 * Nothing here throws: a failure is a reason string for the caller's one line.
 */
import { message } from "../../errors.ts";
import {
  CPU_RUNTIMES,
  ONEDNN_SYMBOLS,
  type OneDnnSymbols,
  OPENMP_SYMBOLS,
  VERSION_OFFSETS,
  VERSION_SYMBOL,
} from "./onednn_ffi.ts";

export interface OneDnnVersion {
  major: number;
  minor: number;
  patch: number;
  /** The git hash the library was built from ("N/A" in Debian's build). */
  hash: string;
  /** "OpenMP", "TBB", "sequential", "threadpool" or "none". */
  cpuRuntime: string;
}

/** The thread count of the library's parallel runtime, when that runtime lets us set it. */
export interface ThreadControl {
  get(): number;
  set(threads: number): void;
}

export interface OneDnnLibrary {
  /** The name or path that was opened. */
  path: string;
  /** The file behind it, where it can be told (Linux). */
  file?: string;
  version: OneDnnVersion;
  /** "oneDNN 2.6.3". */
  description: string;
  symbols: OneDnnSymbols;
  /** Absent when the runtime is not OpenMP (its threads are then the runtime's own business). */
  threads?: ThreadControl;
  /** dlclose: only after every kernel object made from this library is disposed. */
  close(): void;
}

export type LoadResult =
  | { ok: true; library: OneDnnLibrary; description: string; threads: number }
  | { ok: false; reason: string };

export type NativeRequest =
  | { enabled: false; reason: string }
  | { enabled: true; paths: readonly string[] };

/** Names tried in order when the caller names no library. */
export function defaultLibraryPaths(os: typeof Deno.build.os = Deno.build.os): string[] {
  if (os === "darwin") {
    return [
      "libdnnl.dylib",
      "/opt/homebrew/opt/onednn/lib/libdnnl.dylib",
      "/usr/local/opt/onednn/lib/libdnnl.dylib",
    ];
  }
  if (os === "windows") return ["dnnl.dll"];
  // libdnnl.so.3 is listed so that a system with only oneDNN 3 hears why it is not used.
  return ["libdnnl.so.2", "libdnnl.so.3"];
}

/**
 * What the environment asks for: `KD_NATIVE=0` turns the native engine off,
 * `KD_NATIVE_LIB` names the one library to use (no search then).
 */
export function nativeRequestFromEnv(
  env: { KD_NATIVE?: string; KD_NATIVE_LIB?: string },
  os: typeof Deno.build.os = Deno.build.os,
): NativeRequest {
  const flag = (env.KD_NATIVE ?? "").trim().toLowerCase();
  if (["0", "off", "false", "no"].includes(flag)) {
    return { enabled: false, reason: `KD_NATIVE=${env.KD_NATIVE} turns the native engine off` };
  }
  if (!["", "1", "on", "true", "yes"].includes(flag)) {
    return { enabled: false, reason: `KD_NATIVE=${env.KD_NATIVE} is not understood (use 0 or 1)` };
  }
  const lib = env.KD_NATIVE_LIB?.trim();
  return { enabled: true, paths: lib ? [lib] : defaultLibraryPaths(os) };
}

function readVersion(pointer: Deno.PointerObject): OneDnnVersion {
  const view = new Deno.UnsafePointerView(pointer);
  const hash = view.getPointer(VERSION_OFFSETS.hash);
  const runtime = view.getUint32(VERSION_OFFSETS.cpuRuntime);
  return {
    major: view.getInt32(VERSION_OFFSETS.major),
    minor: view.getInt32(VERSION_OFFSETS.minor),
    patch: view.getInt32(VERSION_OFFSETS.patch),
    hash: hash === null ? "" : Deno.UnsafePointerView.getCString(hash),
    cpuRuntime: CPU_RUNTIMES[runtime] ?? `unknown runtime ${runtime}`,
  };
}

/**
 * The file that holds `address` per /proc/self/maps: for a bare name like
 * "libdnnl.so.2", the file the dynamic loader chose. Undefined off Linux.
 */
function mappedFile(address: bigint): string | undefined {
  let maps: string;
  try {
    maps = Deno.readTextFileSync("/proc/self/maps");
  } catch {
    return undefined;
  }
  for (const line of maps.split("\n")) {
    const m = line.match(/^([0-9a-f]+)-([0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/.*)$/);
    if (m && BigInt(`0x${m[1]}`) <= address && address < BigInt(`0x${m[2]}`)) return m[3];
  }
  return undefined;
}

export interface OneDnnIdentity {
  version: OneDnnVersion;
  /** The file behind the name (Linux); undefined where it cannot be told. */
  file?: string;
}

/**
 * Opens `path` for `dnnl_version` alone: enough to key a proof or to turn a
 * oneDNN 3 away by name, without the rest of the API.
 */
export function identifyOneDnn(path: string): OneDnnIdentity | string {
  let lib: Deno.DynamicLibrary<typeof VERSION_SYMBOL>;
  try {
    lib = Deno.dlopen(path, VERSION_SYMBOL);
  } catch (e) {
    return `not a oneDNN library: ${message(e)}`;
  }
  try {
    const pointer = lib.symbols.dnnl_version();
    if (pointer === null) return "dnnl_version() returned NULL";
    // The version struct is a static of the library, so its address lies in the library's mapping.
    const file = mappedFile(BigInt(Deno.UnsafePointer.value(pointer)));
    return { version: readVersion(pointer), file };
  } finally {
    lib.close();
  }
}

/** Why this version cannot be used, or undefined when it can. */
function unsupported(v: OneDnnVersion): string | undefined {
  const name = `oneDNN ${v.major}.${v.minor}.${v.patch}`;
  if (v.major !== 2) {
    return `${name} is not supported: this engine speaks the 2.x API (oneDNN 3 replaced the ` +
      `operation descriptors it uses)`;
  }
  if (v.cpuRuntime === "threadpool") {
    return `${name} is built for the threadpool runtime, which needs a C++ thread pool from its user`;
  }
  return undefined;
}

/** Symbols in `ONEDNN_SYMBOLS` that the library lacks (Deno.dlopen only names the first). */
function missingSymbols(path: string): string[] {
  const missing: string[] = [];
  for (const [name, signature] of Object.entries(ONEDNN_SYMBOLS)) {
    try {
      Deno.dlopen(path, { [name]: signature }).close();
    } catch {
      missing.push(name);
    }
  }
  return missing;
}

/** OpenMP's controls, from the OpenMP library oneDNN already pulled in (dlopen finds it loaded). */
function openMp(os: typeof Deno.build.os): { threads: ThreadControl; close(): void } | undefined {
  const names = os === "darwin"
    ? [
      "libomp.dylib",
      "/opt/homebrew/opt/libomp/lib/libomp.dylib",
      "/usr/local/opt/libomp/lib/libomp.dylib",
    ]
    : ["libgomp.so.1", "libomp.so.5", "libiomp5.so"];
  for (const name of names) {
    let omp: Deno.DynamicLibrary<typeof OPENMP_SYMBOLS>;
    try {
      omp = Deno.dlopen(name, OPENMP_SYMBOLS);
    } catch {
      continue; // not this OpenMP
    }
    const threads: ThreadControl = {
      get: () => omp.symbols.omp_get_max_threads(),
      set: (count: number) => {
        if (!Number.isInteger(count) || count < 1) {
          throw new RangeError(`thread count must be a positive integer, got ${count}`);
        }
        omp.symbols.omp_set_num_threads(count);
      },
    };
    return { threads, close: () => omp.close() };
  }
  return undefined;
}

function loadOne(path: string): LoadResult {
  const id = identifyOneDnn(path);
  if (typeof id === "string") return { ok: false, reason: id };
  const { version, file } = id;
  const refusal = unsupported(version);
  if (refusal) return { ok: false, reason: refusal };
  let lib: Deno.DynamicLibrary<typeof ONEDNN_SYMBOLS>;
  try {
    lib = Deno.dlopen(path, ONEDNN_SYMBOLS);
  } catch (e) {
    const missing = missingSymbols(path);
    return {
      ok: false,
      reason: missing.length > 0
        ? `lacks ${missing.length} oneDNN symbol(s): ${missing.join(", ")}`
        : message(e),
    };
  }
  const description = `oneDNN ${version.major}.${version.minor}.${version.patch}`;
  const omp = version.cpuRuntime === "OpenMP" ? openMp(Deno.build.os) : undefined;
  const threads = omp?.threads;
  const library: OneDnnLibrary = {
    path,
    file,
    version,
    description,
    symbols: lib.symbols,
    threads,
    close: () => {
      omp?.close();
      lib.close();
    },
  };
  // Without OpenMP's controls: TBB uses every core, the sequential runtime one.
  const count = threads?.get() ??
    (version.cpuRuntime === "sequential" ? 1 : navigator.hardwareConcurrency);
  return { ok: true, library, description, threads: count };
}

/**
 * Opens the first usable oneDNN among `paths`. The reason on failure lists
 * every path tried with what was wrong with it.
 */
export function loadOneDnn(paths: readonly string[] = defaultLibraryPaths()): LoadResult {
  const reasons: string[] = [];
  for (const path of paths) {
    const result = loadOne(path);
    if (result.ok) return result;
    reasons.push(`${path}: ${result.reason}`);
  }
  return { ok: false, reason: reasons.join("; ") || "no library path given" };
}
