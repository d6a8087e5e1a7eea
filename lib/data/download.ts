/**
 * Getting a data file that is too big to ship: from a cache directory, a mirror
 * (local directory or URL base) or its official URL, always checked against
 * known checksums. Downloads are written with `writeAtomic` (lib/fs/safe_write.ts) and renamed
 * only once complete and verified, so an interrupted or failed download never leaves something
 * that later counts as present.
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { repositoryPath } from "../fs/repository.ts";
import { exists, writeAtomic } from "../fs/safe_write.ts";
import { readSetting, type SettingName } from "../settings.ts";
import { message } from "../errors.ts";

/** The setting naming a directory or URL base that holds data archives. */
export const MIRROR_ENV: SettingName = "KD_DATA_MIRROR";
/** The setting overriding the cache directory. */
export const CACHE_ENV: SettingName = "KD_DATA_DIR";

export type HashAlgorithm = "md5" | "sha256";

/** A known digest of a file and what a file with that digest is. */
export interface Checksum {
  readonly algorithm: HashAlgorithm;
  /** Lowercase hex. */
  readonly digest: string;
  /** What a file with this digest is; loaders use it as the dataset's `source`. */
  readonly description: string;
}

export interface ObtainOptions {
  /** File name, looked up in `cacheDir` and in the mirror. */
  fileName: string;
  /** Accepted digests; the file must match one of them. */
  checksums: readonly Checksum[];
  /** Where a downloaded copy is kept. */
  cacheDir: string;
  /** A local directory or an http(s) URL base holding `fileName`. */
  mirror?: string;
  /** Official download URL, used when there is no cached copy and no mirror. */
  url?: string;
}

/** A verified local file and the checksum it matched. */
export interface ObtainedFile {
  readonly path: string;
  readonly checksum: Checksum;
}

/**
 * The mirror that scripts and tests use: `KD_DATA_MIRROR`, else `shared/data` beside the
 * repository (where the project's CI keeps its copy; it may not exist elsewhere). Learners' code
 * never defaults to it: without `KD_DATA_MIRROR` the loaders download the official archive.
 */
export function projectMirror(): string {
  return readSetting(MIRROR_ENV) ?? repositoryPath("..", "shared", "data");
}

/** True for `http://` and `https://` addresses (a mirror that is not a directory). */
export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

type Digests = Record<HashAlgorithm, string>;

function hashers() {
  return { md5: createHash("md5"), sha256: createHash("sha256") };
}

/** MD5 and SHA-256 of a file, read once as a stream. */
export async function fileDigests(path: string): Promise<Digests> {
  const h = hashers();
  // The readable stream closes the file when it ends or is cancelled.
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) {
    h.md5.update(chunk);
    h.sha256.update(chunk);
  }
  return { md5: h.md5.digest("hex"), sha256: h.sha256.digest("hex") };
}

function describeChecksums(checksums: readonly Checksum[]): string {
  return checksums
    .map((c) => `${c.algorithm.toUpperCase()} ${c.digest} [${c.description}]`)
    .join(" or ");
}

/** The accepted checksum that `digests` match, or an error naming the file and `fix`. */
export function matchChecksum(
  digests: Digests,
  checksums: readonly Checksum[],
  fileLabel: string,
  fix: string,
): Checksum {
  const hit = checksums.find((c) => digests[c.algorithm] === c.digest.toLowerCase());
  if (hit) return hit;
  throw new Error(
    `${fileLabel}: unknown checksum (MD5 ${digests.md5}, SHA256 ${digests.sha256}); ` +
      `expected ${describeChecksums(checksums)}. ${fix}`,
  );
}

/** Checks a local file against the accepted checksums. */
export async function verifyFile(
  path: string,
  checksums: readonly Checksum[],
  fix: string,
): Promise<Checksum> {
  return matchChecksum(await fileDigests(path), checksums, path, fix);
}

/**
 * Downloads `url` to `dest`: streamed into a temporary file while hashing,
 * renamed into place only when complete and matching a checksum.
 */
export function downloadVerified(
  url: string,
  dest: string,
  checksums: readonly Checksum[],
  hint: string,
): Promise<Checksum> {
  return writeAtomic(dest, async (tmp) => {
    let response: Response;
    try {
      response = await fetch(url);
    } catch (e) {
      throw new Error(`could not download ${url} (${message(e)}); ${hint}`, { cause: e });
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(
        `could not download ${url}: HTTP ${response.status} ${response.statusText}; ${hint}`,
      );
    }
    const h = hashers();
    let bytes = 0;
    const length = response.headers.get("content-length");
    const total = length !== null && /^\d+$/.test(length) ? ` of ${length}` : "";
    try {
      const file = await Deno.open(tmp, { write: true, createNew: true });
      const hashing = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          h.md5.update(chunk);
          h.sha256.update(chunk);
          bytes += chunk.length;
          controller.enqueue(chunk);
        },
      });
      // pipeTo closes (or on error aborts) the file's writable, closing the file.
      await response.body.pipeThrough(hashing).pipeTo(file.writable);
    } catch (e) {
      throw new Error(
        `download of ${url} failed after ${bytes} bytes${total} (${message(e)}); ` +
          `the partial file was deleted, nothing was kept: run again to retry, or ${hint}`,
        { cause: e },
      );
    }
    const digests = { md5: h.md5.digest("hex"), sha256: h.sha256.digest("hex") };
    return matchChecksum(
      digests,
      checksums,
      `${basename(dest)} downloaded from ${url}`,
      `The download is corrupt or not the expected file (nothing was kept); try again, or ${hint}`,
    );
  });
}

/**
 * A verified local copy of `fileName`: the cached copy if there is one, else
 * the mirror's (a local file is used in place, a URL is downloaded into the
 * cache), else a download from `url`.
 */
export async function obtainFile(options: ObtainOptions): Promise<ObtainedFile> {
  const { fileName, checksums, cacheDir, mirror, url } = options;
  const cached = join(cacheDir, fileName);
  const hint = `set ${MIRROR_ENV} to a directory (or http(s) URL base) holding ${fileName}`;
  const offline = `without network access, ${hint}`;
  if (await exists(cached)) {
    const checksum = await verifyFile(
      cached,
      checksums,
      `Delete ${cached} and run again to fetch a fresh copy.`,
    );
    return { path: cached, checksum };
  }
  if (mirror !== undefined && isUrl(mirror)) {
    const from = `${mirror.replace(/\/+$/, "")}/${fileName}`;
    const checksum = await downloadVerified(
      from,
      cached,
      checksums,
      `check the mirror ${mirror} (from option mirror or ${MIRROR_ENV}) or point it elsewhere`,
    );
    return { path: cached, checksum };
  }
  if (mirror !== undefined) {
    const local = join(mirror, fileName);
    if (!(await exists(local))) {
      throw new Error(
        `${local} does not exist: the mirror directory ${mirror} (from option mirror or ` +
          `${MIRROR_ENV}) must hold ${fileName}; copy it there or point ${MIRROR_ENV} elsewhere`,
      );
    }
    const checksum = await verifyFile(
      local,
      checksums,
      `Replace that file with a genuine copy, or point ${MIRROR_ENV} at another directory.`,
    );
    return { path: local, checksum };
  }
  if (url === undefined) {
    throw new Error(`${fileName} is not in ${cacheDir} and there is no mirror or URL; ${hint}`);
  }
  const checksum = await downloadVerified(url, cached, checksums, offline);
  return { path: cached, checksum };
}
