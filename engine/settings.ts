/**
 * The `KD_*` environment variables the engine reads, declared here once, and its reader. The
 * distillation library lists them in the project's one settings table (its README's), beside its
 * own, and reads the two it shares through it: `KD_DATA_DIR` (its data cache is where the native
 * layer keeps its proofs) and `KD_BENCH_PYTHON` (its bench compares with PyTorch, as this
 * package's kernel probe does).
 */

/** One setting: what values it takes, what happens when it is unset, and what it changes. */
export interface Setting {
  /** The values it accepts, as the README shows them. */
  readonly values: string;
  /** What happens when it is unset. */
  readonly default: string;
  readonly description: string;
  /**
   * The Python script that reads it itself, since it cannot import a reader (listed so that
   * setting it is not reported as unknown).
   */
  readonly script?: string;
}

export const ENGINE_SETTINGS = {
  KD_BACKEND: {
    values: "`tensorflow` \\| `wasm` \\| `cpu` \\| `webgpu`",
    default: "the fastest that starts",
    description: "forces one TensorFlow.js engine; an error if it cannot start",
  },
  KD_WASM_THREADS: {
    values: "a positive integer or `cores`",
    default: "one per core (at most 8); one beside the native layer",
    description: "threads of the wasm engine; `1` turns threads off",
  },
  KD_NATIVE: {
    values: "`0`/`off` or `1`/`on`",
    default: "on where oneDNN 2.x is found",
    description: "the native oneDNN layer under the wasm engine; `0` gives the pure wasm path",
  },
  KD_NATIVE_LIB: {
    values: "a file path",
    default: "`libdnnl.so.2` on the library path",
    description: "the oneDNN library the native layer loads (no search then)",
  },
  KD_NATIVE_THREADS: {
    values: "a positive integer",
    default: "one per core",
    description: "oneDNN's threads",
  },
  KD_DATA_DIR: {
    values: "a directory",
    default: "`data/cache/` in the repository",
    description: "the cache of downloaded and extracted data and of native-layer proofs",
  },
  KD_BENCH_PYTHON: {
    values: "a Python executable",
    default: "pip's `torch` in `.venv-bench/` (made on first use)",
    description:
      "the Python with PyTorch that `deno task bench` compares against (Debian's: `/usr/bin/python3`)",
  },
} as const satisfies Record<`KD_${string}`, Setting>;

export type EngineSettingName = keyof typeof ENGINE_SETTINGS;

/**
 * The value of an engine setting, trimmed; undefined when it is unset or blank, or when the
 * program may not read the environment.
 */
export function readEngineSetting(name: EngineSettingName): string | undefined {
  let value: string | undefined;
  try {
    value = Deno.env.get(name)?.trim();
  } catch {
    return undefined; // no env permission: behave as if unset
  }
  return value ? value : undefined;
}
