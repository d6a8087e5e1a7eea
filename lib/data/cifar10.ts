/**
 * CIFAR-10 from its binary archive `cifar-10-binary.tar.gz`: obtained from a
 * cache, a mirror or the official URL (see download.ts), verified, extracted
 * once into the cache directory, then read batch by batch.
 */
import { join, resolve } from "node:path";
import { createDataset, type Dataset, type Normalization } from "./dataset.ts";
import { readSetting } from "../settings.ts";
import { repositoryPath } from "../fs/repository.ts";
import { exists, writeFileAtomic } from "../fs/safe_write.ts";
import { CACHE_ENV, type Checksum, isUrl, MIRROR_ENV, obtainFile } from "./download.ts";
import { message } from "../errors.ts";

export const CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz";
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
/** Top-level folder inside the archive. */
export const CIFAR10_FOLDER = "cifar-10-batches-bin";

/** The official archive. */
export const CIFAR10_OFFICIAL_CHECKSUM: Checksum = {
  algorithm: "md5",
  digest: "c32a1d4ab5d03f1284b67883e8d87530",
  description: "CIFAR-10 official binary release",
};
/** The project's mirror copy in shared/data: decoded from a JPEG re-encoding. */
export const CIFAR10_MIRROR_CHECKSUM: Checksum = {
  algorithm: "sha256",
  digest: "5fa7dea50efc19570b67dc7730eb080b76e267e970976ec78e16390a430271f8",
  description: "CIFAR-10 mirror copy (JPEG re-encoding, not the official pixels)",
};
export const CIFAR10_CHECKSUMS: readonly Checksum[] = [
  CIFAR10_OFFICIAL_CHECKSUM,
  CIFAR10_MIRROR_CHECKSUM,
];

/** Notebook 04's normalisation: ImageNet channel statistics, in [0, 1] units. */
export const IMAGENET_NORMALIZATION: Normalization = {
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};
/** Pixels scaled to [0, 1] only: the loader's default. */
export const CIFAR10_UNIT_SCALE: Normalization = {
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
};

/** Bytes per record: a label byte, then 1,024 red, 1,024 green and 1,024 blue bytes. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILES = ["test_batch.bin"];
const META_FILE = "batches.meta.txt";
/** Written last into the extracted folder; without it the folder does not count. */
const MARKER = ".complete.json";

export interface Cifar10Options {
  /** Local directory or http(s) URL base holding the archive; default env `KD_DATA_MIRROR`. */
  mirror?: string;
  /** Where the archive and the extracted batches go; default env `KD_DATA_DIR`, else `<repo>/data/cache`. */
  cacheDir?: string;
  /** Official download URL (overridable for tests). */
  url?: string;
  /** Accepted archive checksums; default `CIFAR10_CHECKSUMS` (official MD5, mirror SHA-256). */
  expectedChecksums?: readonly Checksum[];
  /** Records in each batch file: 10,000 in the real data (smaller in test fixtures). */
  recordsPerBatch?: number;
  /** Default `CIFAR10_UNIT_SCALE`; notebook 04 passes `IMAGENET_NORMALIZATION`; `null` keeps raw 0–255. */
  normalization?: Normalization | null;
}

/** The extracted batch folder and what the archive it came from is. */
export interface Cifar10Files {
  readonly dir: string;
  readonly checksum: Checksum;
}

interface Marker {
  archive: string;
  algorithm: Checksum["algorithm"];
  digest: string;
  description: string;
}

/** The cache folder setting, else the repository's `data/cache`. */
export function defaultCacheDir(): string {
  const env = readSetting(CACHE_ENV);
  if (env) return env;
  return repositoryPath("data", "cache");
}

async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, MARKER))) as Marker;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `<cacheDir>/cifar-10-batches-bin` holds a complete extraction of
 * a verified archive. A complete folder is reused without touching the archive.
 */
export async function ensureCifar10(options: Cifar10Options = {}): Promise<Cifar10Files> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const checksums = options.expectedChecksums ?? CIFAR10_CHECKSUMS;
  const dir = join(cacheDir, CIFAR10_FOLDER);
  const known = (m: Marker | undefined) =>
    m && checksums.find((c) => c.algorithm === m.algorithm && c.digest === m.digest);

  const hit = known(await readMarker(dir));
  if (hit) return { dir, checksum: hit };

  const mirror = options.mirror ?? readSetting(MIRROR_ENV);
  const archive = await obtainFile({
    fileName: CIFAR10_ARCHIVE,
    checksums,
    cacheDir,
    mirror,
    url: options.url ?? CIFAR10_URL,
  });
  // A copy in the cache that passed its checksum but does not extract would pass
  // again next run, so it is removed (unless the cache is the mirror directory itself).
  const ownCopy = archive.path === join(cacheDir, CIFAR10_ARCHIVE) &&
    !(mirror !== undefined && !isUrl(mirror) && resolve(mirror) === resolve(cacheDir));
  const rejectArchive = async (problem: string, cause?: unknown): Promise<never> => {
    if (ownCopy) await Deno.remove(archive.path).catch(() => {});
    const fix = ownCopy
      ? `it was removed from the cache, so the next run fetches it again; if this error ` +
        `returns, check the mirror (option mirror or ${MIRROR_ENV}) and the expected checksums`
      : `replace it with a genuine copy, or point ${MIRROR_ENV} at a directory with the right file`;
    throw new Error(`${archive.path}: ${problem}: ${fix}`, { cause });
  };
  await Deno.mkdir(cacheDir, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: cacheDir, prefix: ".cifar10-extract-" });
  let failed = true;
  try {
    // Loaded here rather than at the top: the package reads environment variables as it loads,
    // which a program without env permission (the sandbox of `deno task grade`) may not do, and
    // only an extraction needs it.
    const tar = await import("tar");
    const inArchive = new Set<string>();
    try {
      // Read the whole archive once without writing anything: a damaged or foreign
      // archive is rejected here, not halfway through an extraction that would leave
      // files behind (tar.x can still be writing when it reports an error).
      await tar.t({
        file: archive.path,
        strict: true,
        onReadEntry: (entry) => void inArchive.add(entry.path.replace(/^\.\//, "")),
      });
    } catch (e) {
      await rejectArchive(
        `extraction failed (${message(e)}); the archive is damaged or not a tar.gz`,
        e,
      );
    }
    for (const name of [...TRAIN_FILES, ...TEST_FILES, META_FILE]) {
      if (!inArchive.has(`${CIFAR10_FOLDER}/${name}`)) {
        await rejectArchive(
          `has no ${CIFAR10_FOLDER}/${name}; this is not the CIFAR-10 binary archive`,
        );
      }
    }
    try {
      await tar.x({
        file: archive.path,
        cwd: tmp,
        strict: true,
        filter: (path) => path.replace(/^\.\//, "").startsWith(`${CIFAR10_FOLDER}/`),
      });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
        // The system refused (disk full, permissions): the archive is not to blame.
        throw new Error(
          `${archive.path}: extraction into ${cacheDir} failed (${message(e)}); ` +
            `free disk space or fix write permission there (or set ${CACHE_ENV} to another ` +
            `cache directory) and run again`,
          { cause: e },
        );
      }
      await rejectArchive(
        `extraction failed (${message(e)}); the archive is damaged or not a tar.gz`,
        e,
      );
    }
    const staged = join(tmp, CIFAR10_FOLDER);
    for (const name of [...TRAIN_FILES, ...TEST_FILES, META_FILE]) {
      if (!(await exists(join(staged, name)))) {
        await rejectArchive(
          `has no ${CIFAR10_FOLDER}/${name}; this is not the CIFAR-10 binary archive`,
        );
      }
    }
    const marker: Marker = {
      archive: CIFAR10_ARCHIVE,
      algorithm: archive.checksum.algorithm,
      digest: archive.checksum.digest,
      description: archive.checksum.description,
    };
    await writeFileAtomic(join(staged, MARKER), JSON.stringify(marker, null, 2) + "\n");
    // A folder left without a marker (interrupted by hand, or older data) is replaced.
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    try {
      await Deno.rename(staged, dir);
    } catch (e) {
      // Another process may have finished first; its complete folder is as good.
      const other = known(await readMarker(dir));
      if (other) return { dir, checksum: other };
      throw e;
    }
    failed = false;
    return { dir, checksum: archive.checksum };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    if (failed) {
      // Writes of a failed tar.x may still land after the first removal.
      await new Promise((r) => setTimeout(r, 50));
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  }
}

/**
 * Parses one batch file (records of label + R, G, B planes) into NHWC pixels
 * and labels, checking its length and labels.
 */
export function parseCifar10Batch(
  bytes: Uint8Array,
  fileName: string,
  records = 10000,
): { x: Uint8Array; y: Uint8Array } {
  const expected = records * CIFAR10_RECORD_BYTES;
  if (bytes.length !== expected) {
    throw new Error(
      `${fileName}: ${
        bytes.length === 0 ? "empty" : bytes.length < expected ? "truncated" : "too long"
      }: expected ${expected} ` +
        `bytes (${records} records of ${CIFAR10_RECORD_BYTES}), got ${bytes.length}; delete the ` +
        `extracted folder (and the archive if it came from a download) and run again`,
    );
  }
  const plane = 32 * 32;
  const x = new Uint8Array(records * 3 * plane);
  const y = new Uint8Array(records);
  for (let r = 0; r < records; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    const label = bytes[at];
    if (label > 9) {
      throw new Error(
        `${fileName}: label ${label} in record ${r} is out of range 0..9; the file is corrupt, ` +
          `delete the extracted folder and run again`,
      );
    }
    y[r] = label;
    const out = r * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const src = at + 1 + c * plane;
      for (let p = 0; p < plane; p++) x[out + p * 3 + c] = bytes[src + p];
    }
  }
  return { x, y };
}

/** Parses batches.meta.txt: ten class names, one a line. */
export function parseCifar10Meta(text: string, fileName: string): string[] {
  const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== 10) {
    throw new Error(
      `${fileName}: expected 10 class names, one a line, got ${names.length}; the file is ` +
        `corrupt, delete the extracted folder and run again`,
    );
  }
  return names;
}

/** Loads CIFAR-10's 50,000 training or 10,000 test images as uint8 `[32, 32, 3]` (NHWC). */
export async function loadCifar10(
  split: "train" | "test",
  options: Cifar10Options = {},
): Promise<Dataset> {
  if (split !== "train" && split !== "test") {
    throw new RangeError(`loadCifar10: split must be "train" or "test", got "${split}"`);
  }
  const records = options.recordsPerBatch ?? 10000;
  const { dir, checksum } = await ensureCifar10(options);
  const files = split === "train" ? TRAIN_FILES : TEST_FILES;
  const per = 32 * 32 * 3;
  const x = new Uint8Array(files.length * records * per);
  const y = new Uint8Array(files.length * records);
  let classNames: string[];
  try {
    const metaPath = join(dir, META_FILE);
    classNames = parseCifar10Meta(await Deno.readTextFile(metaPath), metaPath);
    for (let i = 0; i < files.length; i++) {
      const path = join(dir, files[i]);
      const batch = parseCifar10Batch(await Deno.readFile(path), path, records);
      x.set(batch.x, i * records * per);
      y.set(batch.y, i * records);
    }
  } catch (e) {
    // The extracted folder is bad (edited, damaged on disk, or from a bad archive):
    // without its marker it no longer counts, and the next run extracts it again.
    await Deno.remove(join(dir, MARKER)).catch(() => {});
    throw new Error(
      `${message(e)} [${dir} was marked incomplete, so the next run extracts the ` +
        `archive again]`,
      { cause: e },
    );
  }
  const normalization = options.normalization === undefined
    ? CIFAR10_UNIT_SCALE
    : options.normalization ?? undefined;
  return createDataset({
    name: `cifar10-${split}`,
    x,
    y,
    shape: [32, 32, 3],
    classNames,
    source: checksum.description,
    normalization,
  });
}
