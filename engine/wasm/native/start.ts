/**
 * Starting the native layer: which library the environment asks for
 * (`KD_NATIVE=0` off, `KD_NATIVE_LIB` a path, `KD_NATIVE_THREADS` a count),
 * proved in a child process before the first in-process call (prove.ts), then
 * loaded and its kernels built. Every failure is a reason, never a crash.
 */
import { message } from "../../errors.ts";
import { repositoryPath } from "../../repository.ts";
import { type EngineSettingName, readEngineSetting } from "../../settings.ts";
import { loadOneDnn, nativeRequestFromEnv } from "./loader.ts";
import { OneDnnKernels } from "./onednn/mod.ts";
import { proveNativeLibrary } from "./prove.ts";

export const NATIVE_THREADS_ENV: EngineSettingName = "KD_NATIVE_THREADS";

/** A started native layer. */
export interface NativeLayer {
  kernels: OneDnnKernels;
  /** "oneDNN 2.6.3". */
  description: string;
}

export type NativeStart = { ok: true; layer: NativeLayer } | { ok: false; reason: string };

/** `KD_NATIVE_THREADS`: a positive integer, or undefined for the library's default (all cores). */
export function nativeThreadsRequested(
  value = readEngineSetting(NATIVE_THREADS_ENV),
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `${NATIVE_THREADS_ENV}="${value}" must be a positive integer (or unset for every core)`,
    );
  }
  return n;
}

/** Where proofs are cached: `KD_DATA_DIR` or the repository's data/cache (as the data loaders). */
function cacheDir(): string {
  return readEngineSetting("KD_DATA_DIR") ?? repositoryPath("data", "cache");
}

/** Finds, proves and loads the native library; the reason when there is none to use. */
export async function startNative(): Promise<NativeStart> {
  const request = nativeRequestFromEnv({
    KD_NATIVE: readEngineSetting("KD_NATIVE"),
    KD_NATIVE_LIB: readEngineSetting("KD_NATIVE_LIB"),
  });
  if (!request.enabled) return { ok: false, reason: request.reason };
  const threads = nativeThreadsRequested();
  const reasons: string[] = [];
  for (const path of request.paths) {
    try {
      const proof = await proveNativeLibrary(path, cacheDir());
      if (!proof.ok) {
        reasons.push(proof.reason);
        continue;
      }
      const loaded = loadOneDnn([path]);
      if (!loaded.ok) {
        reasons.push(loaded.reason);
        continue;
      }
      const kernels = new OneDnnKernels(loaded.library, { threads });
      return { ok: true, layer: { kernels, description: loaded.description } };
    } catch (e) {
      // No FFI permission, an unreadable cache folder, …: the wasm path still works.
      reasons.push(`${path}: ${message(e)}`);
    }
  }
  return { ok: false, reason: reasons.join("; ") };
}
