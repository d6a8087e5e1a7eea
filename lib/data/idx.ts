/**
 * The IDX format of MNIST: a 4-byte magic number (two zero bytes, a type code,
 * the number of dimensions), one big-endian uint32 per dimension, then the
 * values row-major. Only unsigned bytes (type code 0x08) are supported, which
 * is what MNIST uses.
 */
import { message } from "../errors.ts";

/** Magic number of an IDX label file: unsigned bytes, one dimension. */
export const IDX_LABELS_MAGIC = 0x00000801;
/** Magic number of an IDX image file: unsigned bytes, three dimensions. */
export const IDX_IMAGES_MAGIC = 0x00000803;

/** A parsed IDX file: its dimensions and its values (a view into the input bytes). */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes with the built-in DecompressionStream. */
export async function gunzip(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(
      `${fileName}: could not gunzip (${message(e)}); the file is corrupt or incomplete, ` +
        `download it again`,
      { cause: e },
    );
  }
}

/**
 * Parses an IDX file of unsigned bytes. With `expectedMagic`, a file of another
 * kind (e.g. labels where images were expected) is rejected.
 */
export function parseIdx(bytes: Uint8Array, fileName: string, expectedMagic?: number): IdxArray {
  if (bytes.length === 0) {
    throw new Error(
      `${fileName}: empty file (0 bytes), expected an IDX header; the file is incomplete ` +
        `(an interrupted download or copy?), download it again`,
    );
  }
  if (bytes.length < 4) {
    throw new Error(
      `${fileName}: truncated header: expected at least 4 bytes for the magic number, got ` +
        `${bytes.length}; the file is incomplete, download it again`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const ndims = magic & 0xff;
  const what = expectedMagic === IDX_IMAGES_MAGIC
    ? "an IDX image file"
    : expectedMagic === IDX_LABELS_MAGIC
    ? "an IDX label file"
    : "an IDX file of unsigned bytes";
  if (
    (expectedMagic !== undefined && magic !== expectedMagic) ||
    (magic & 0xffffff00) !== 0x00000800 || ndims === 0
  ) {
    const expected = expectedMagic !== undefined ? hex(expectedMagic) : "0x000008NN";
    throw new Error(
      `${fileName}: wrong magic number ${hex(magic)}, expected ${expected} (${what}); ` +
        `check that this is the right file (images vs labels, not an HTML error page) ` +
        `and that it is either raw or gzipped IDX`,
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${fileName}: truncated header: expected ${headerBytes} bytes for ${ndims} dimension(s), ` +
        `got ${bytes.length}; the file is incomplete, download it again`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const got = bytes.length - headerBytes;
  if (got !== expected) {
    throw new Error(
      `${fileName}: ${got < expected ? "truncated body" : "unexpected trailing data"}: ` +
        `expected ${expected} bytes of values for dimensions [${dims}], got ${got}; ` +
        `the file is incomplete or corrupt, download it again`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file, gunzipping it first when it is gzip-compressed. */
export async function readIdx(path: string, expectedMagic?: number): Promise<IdxArray> {
  let bytes: Uint8Array = await Deno.readFile(path);
  if (isGzip(bytes)) bytes = await gunzip(bytes, path);
  return parseIdx(bytes, path, expectedMagic);
}

/** Images and labels checked against each other. */
export interface IdxPair {
  /** `count × height × width` pixel bytes. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Checks that an image file and a label file belong together (same count) and
 * that every label is below `numClasses`.
 */
export function pairIdx(
  images: IdxArray,
  labels: IdxArray,
  imagesName: string,
  labelsName: string,
  numClasses: number,
): IdxPair {
  if (images.dims.length !== 3) {
    throw new Error(
      `${imagesName}: expected 3 dimensions (count, rows, cols), got [${images.dims}]; ` +
        `this is not an image file: pass the images file (…-images-idx3-ubyte), not the labels`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new Error(
      `${labelsName}: expected 1 dimension (count), got [${labels.dims}]; this is not a label ` +
        `file: pass the labels file (…-labels-idx1-ubyte), not the images`,
    );
  }
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(
      `${imagesName} has ${count} images but ${labelsName} has ${labels.dims[0]} labels; ` +
        `the two files must come from the same split (train with train, t10k with t10k)`,
    );
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= numClasses) {
      throw new Error(
        `${labelsName}: label ${labels.data[i]} at index ${i} is out of range 0..${
          numClasses - 1
        }; ` +
          `the label file is corrupt or belongs to another dataset, download it again`,
      );
    }
  }
  return { images: images.data, labels: labels.data, count, height, width };
}

/** Serialises values as an uncompressed IDX file of unsigned bytes (for fixtures and exports). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
