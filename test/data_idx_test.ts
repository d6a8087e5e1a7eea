import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  pairIdx,
  parseIdx,
  readIdx,
} from "../lib/data/idx.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => i * 10);
const images = encodeIdx([3, 2, 4], pixels);
const labels = encodeIdx([3], Uint8Array.from([7, 0, 9]));

Deno.test("parseIdx reads the header big-endian and the values row-major", () => {
  assert.deepEqual([...images.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 3]);
  const a = parseIdx(images, "imgs", IDX_IMAGES_MAGIC);
  assert.deepEqual(a.dims, [3, 2, 4]);
  assert.deepEqual([...a.data], [...pixels]);
  const b = parseIdx(labels, "labs", IDX_LABELS_MAGIC);
  assert.deepEqual(b.dims, [3]);
  assert.deepEqual([...b.data], [7, 0, 9]);
  // Large dimensions must not be read as signed or little-endian.
  const big = new Uint8Array(8);
  new DataView(big.buffer).setUint32(0, IDX_LABELS_MAGIC);
  new DataView(big.buffer).setUint32(4, 60000);
  assert.throws(() => parseIdx(big, "big"), /big: truncated body: expected 60000 bytes.*got 0/);
});

Deno.test("readIdx reads raw and gzipped files from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "raw"), images);
    await Deno.writeFile(join(dir, "z.gz"), await gzip(images));
    const raw = await readIdx(join(dir, "raw"), IDX_IMAGES_MAGIC);
    const gz = await readIdx(join(dir, "z.gz"), IDX_IMAGES_MAGIC);
    assert.deepEqual(gz.dims, raw.dims);
    assert.deepEqual([...gz.data], [...raw.data]);
    // A gzip stream cut short is reported with the file name.
    const cut = (await gzip(images)).subarray(0, 20);
    await Deno.writeFile(join(dir, "cut.gz"), cut);
    await assert.rejects(
      readIdx(join(dir, "cut.gz")),
      /cut\.gz: could not gunzip.*download it again/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseIdx rejects a wrong magic number, naming file, expectation and fix", () => {
  assert.throws(
    () => parseIdx(labels, "train-images-idx3-ubyte", IDX_IMAGES_MAGIC),
    /train-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803 \(an IDX image file\); check that this is the right file/,
  );
  const html = new TextEncoder().encode("<html>not found</html>");
  assert.throws(
    () => parseIdx(html, "page", IDX_LABELS_MAGIC),
    /page: wrong magic number 0x3c68746d, expected 0x00000801 \(an IDX label file\).*HTML/,
  );
});

Deno.test("parseIdx rejects truncated headers and bodies with expected and actual sizes", () => {
  assert.throws(
    () => parseIdx(new Uint8Array(2), "f"),
    /f: truncated header: expected at least 4 bytes.*got 2.*download it again/,
  );
  assert.throws(
    () => parseIdx(images.subarray(0, 10), "imgs", IDX_IMAGES_MAGIC),
    /imgs: truncated header: expected 16 bytes for 3 dimension\(s\), got 10; .*download it again/,
  );
  assert.throws(
    () => parseIdx(images.subarray(0, images.length - 5), "imgs", IDX_IMAGES_MAGIC),
    /imgs: truncated body: expected 24 bytes of values for dimensions \[3,2,4\], got 19; .*download it again/,
  );
  const longer = new Uint8Array(images.length + 1);
  longer.set(images);
  assert.throws(
    () => parseIdx(longer, "imgs"),
    /imgs: unexpected trailing data: expected 24 bytes.*got 25/,
  );
});

Deno.test("pairIdx checks counts and label range", () => {
  const img = parseIdx(images, "imgs");
  const pair = pairIdx(img, parseIdx(labels, "labs"), "imgs", "labs", 10);
  assert.equal(pair.count, 3);
  assert.equal(pair.height, 2);
  assert.equal(pair.width, 4);
  assert.deepEqual([...pair.labels], [7, 0, 9]);

  const two = parseIdx(encodeIdx([2], Uint8Array.from([1, 2])), "labs2");
  assert.throws(
    () => pairIdx(img, two, "imgs", "labs2", 10),
    /imgs has 3 images but labs2 has 2 labels; the two files must come from the same split/,
  );
  assert.throws(
    () => pairIdx(img, parseIdx(labels, "labs"), "imgs", "labs", 9),
    /labs: label 9 at index 2 is out of range 0\.\.8; .*download it again/,
  );
  assert.throws(
    () => pairIdx(parseIdx(labels, "labs"), img, "labs", "imgs", 10),
    /labs: expected 3 dimensions \(count, rows, cols\), got \[3\]/,
  );
});
