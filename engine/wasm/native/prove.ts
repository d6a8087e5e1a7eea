/**
 * Proof of a library in a child process (probe.ts), cached on disk: the
 * first use of a library file runs every kernel in a throwaway process, and
 * later starts read the verdict. The cache key is the file actually loaded
 * (its real path, size and mtime), oneDNN's version, and a hash of this
 * engine's own sources, so an upgraded library or a changed FFI layer is
 * proved again.
 */
import { identifyOneDnn } from "./loader.ts";
import type { ProbeVerdict } from "./probe.ts";

export type Proof = ProbeVerdict & {
  /** True when the verdict came from the cache file, without running the probe. */
  fromCache: boolean;
};

export interface ProveOptions {
  /** How long the child may take (it jit-compiles a few kernels; default 120 s). */
  timeoutMs?: number;
  /** The probe to run instead of probe.ts: for tests of a child that dies. */
  probeModule?: URL;
}

/** The JSON file under the caller's cache folder: { [key]: verdict }. */
export const PROOF_CACHE_FILE = "native_proofs.json";

/** Sources whose change can change the verdict (see the module comment), and all of onednn/. */
const SOURCES = [
  "onednn_ffi.ts",
  "loader.ts",
  "reference.ts",
  "self_test.ts",
  "probe.ts",
];
const KERNEL_FOLDER = "onednn/";

async function sourceHash(): Promise<string> {
  const folder = new URL(KERNEL_FOLDER, import.meta.url);
  const kernels: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && entry.name.endsWith(".ts")) kernels.push(KERNEL_FOLDER + entry.name);
  }
  const parts: string[] = [];
  for (const name of [...SOURCES, ...kernels.sort()]) {
    parts.push(await Deno.readTextFile(new URL(name, import.meta.url)));
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(parts.join("\0")),
  );
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function identity(path: string): Promise<{ key: string } | { reason: string }> {
  const id = identifyOneDnn(path);
  if (typeof id === "string") return { reason: id };
  const { version } = id;
  const file = id.file ??
    (path.includes("/") ? await Deno.realPath(path).catch(() => undefined) : undefined);
  const stat = file ? await Deno.stat(file).catch(() => undefined) : undefined;
  const v = `${version.major}.${version.minor}.${version.patch}+${version.hash}`;
  const fileKey = stat ? `${file}|${stat.size}|${stat.mtime?.getTime()}` : `${path}|?`;
  return { key: `${path}|${fileKey}|${v}|${await sourceHash()}` };
}

type Cache = Record<string, ProbeVerdict>;

async function readCache(file: string): Promise<Cache> {
  try {
    return JSON.parse(await Deno.readTextFile(file)) as Cache;
  } catch {
    return {}; // absent or unreadable: prove again
  }
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a file. */
async function writeCache(file: string, cache: Cache): Promise<void> {
  const tmp = `${file}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(cache, null, 1) + "\n");
  await Deno.rename(tmp, file);
}

async function runProbe(
  path: string,
  options: ProveOptions,
): Promise<{ verdict: ProbeVerdict; cacheable: boolean }> {
  const module = options.probeModule ?? new URL("./probe.ts", import.meta.url);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const command = new Deno.Command(Deno.execPath(), {
    // The probe needs FFI only and imports nothing outside this folder: no project config.
    args: ["run", "-A", "--no-config", module.href, path],
    stdout: "piped",
    stderr: "piped",
    signal: timeout,
  });
  let output: Deno.CommandOutput;
  try {
    output = await command.output();
  } catch (e) {
    return {
      verdict: { ok: false, path, reason: `cannot start the probe: ${(e as Error).message}` },
      cacheable: false,
    };
  }
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  try {
    const verdict = JSON.parse(last) as ProbeVerdict;
    if (typeof verdict.ok === "boolean") return { verdict, cacheable: true };
  } catch {
    // Fall through: the child died before its verdict.
  }
  const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" | ");
  // A killed-for-time child says nothing about the library: try again next start.
  const timedOut = output.signal === "SIGTERM" || output.signal === "SIGKILL";
  const how = output.signal
    ? (timedOut
      ? `was stopped after ${timeoutMs} ms (${output.signal})`
      : `died by ${output.signal}`)
    : `exited with code ${output.code} without a verdict`;
  return {
    verdict: { ok: false, path, reason: `the probe child ${how}${stderr ? `: ${stderr}` : ""}` },
    cacheable: !timedOut,
  };
}

/**
 * Proves `path` (a library name or path, as given to Deno.dlopen) in a child
 * process, or returns the cached verdict; `cacheDir` is created if needed.
 * Never throws for a bad library: the verdict's reason says what was wrong.
 */
export async function proveNativeLibrary(
  path: string,
  cacheDir: string,
  options: ProveOptions = {},
): Promise<Proof> {
  const id = await identity(path);
  if ("reason" in id) return { ok: false, path, reason: id.reason, fromCache: false };
  const file = `${cacheDir.replace(/\/+$/, "")}/${PROOF_CACHE_FILE}`;
  const cached = (await readCache(file))[id.key];
  if (cached) return { ...cached, fromCache: true };
  const { verdict, cacheable } = await runProbe(path, options);
  if (cacheable) {
    await Deno.mkdir(cacheDir, { recursive: true });
    // Re-read: another process may have added its own verdict meanwhile.
    await writeCache(file, { ...(await readCache(file)), [id.key]: verdict });
  }
  return { ...verdict, fromCache: false };
}
