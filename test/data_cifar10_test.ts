import assert from "node:assert/strict";
import { join } from "node:path";
import * as tar from "tar";
import {
  CIFAR10_ARCHIVE,
  CIFAR10_CHECKSUMS,
  CIFAR10_MIRROR_CHECKSUM,
  CIFAR10_RECORD_BYTES,
  CIFAR10_UNIT_SCALE,
  type Cifar10Options,
  IMAGENET_NORMALIZATION,
  loadCifar10,
  parseCifar10Batch,
} from "../lib/data/cifar10.ts";
import { type Checksum, fileDigests } from "../lib/data/download.ts";

const CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];
const RECORDS = 3;
const BATCHES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat("test_batch.bin");

/** A batch file of `records` records with labels 0..9 cycling from `first`. */
function batch(records: number, first: number): Uint8Array {
  const out = new Uint8Array(records * CIFAR10_RECORD_BYTES);
  for (let r = 0; r < records; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    out[at] = (first + r) % 10;
    for (let i = 1; i < CIFAR10_RECORD_BYTES; i++) out[at + i] = (r * 31 + i * 7) % 256;
  }
  return out;
}

interface Fixture {
  root: string;
  mirror: string;
  cacheDir: string;
  checksum: Checksum;
  files: Map<string, Uint8Array>;
}

/** A temp dir with `mirror/cifar-10-binary.tar.gz` built from tiny batches (edited by `edit`). */
async function fixture(edit?: (files: Map<string, Uint8Array>) => void): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "cifar10-test-" });
  const files = new Map<string, Uint8Array>();
  BATCHES.forEach((name, i) => files.set(name, batch(RECORDS, i)));
  files.set("batches.meta.txt", new TextEncoder().encode(CLASSES.join("\n") + "\n\n"));
  edit?.(files);
  const src = join(root, "src", "cifar-10-batches-bin");
  await Deno.mkdir(src, { recursive: true });
  for (const [name, bytes] of files) await Deno.writeFile(join(src, name), bytes);
  const mirror = join(root, "mirror");
  await Deno.mkdir(mirror);
  const archive = join(mirror, CIFAR10_ARCHIVE);
  await tar.c({ gzip: true, file: archive, cwd: join(root, "src"), portable: true }, [
    "cifar-10-batches-bin",
  ]);
  const checksum: Checksum = {
    algorithm: "sha256",
    digest: (await fileDigests(archive)).sha256,
    description: "CIFAR-10 test fixture",
  };
  return { root, mirror, cacheDir: join(root, "cache"), checksum, files };
}

/** A local URL nothing listens on (fetch refuses well-known ports such as 9). */
function refusedUrl(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`;
}

function options(f: Fixture, extra: Cifar10Options = {}): Cifar10Options {
  return {
    mirror: f.mirror,
    cacheDir: f.cacheDir,
    expectedChecksums: [f.checksum],
    recordsPerBatch: RECORDS,
    url: refusedUrl(),
    ...extra,
  };
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** Runs `body` with the data environment variables unset, restoring them afterwards. */
async function withoutDataEnv(body: () => Promise<void>): Promise<void> {
  const saved = ["KD_DATA_MIRROR", "KD_DATA_DIR"].map((k) => [k, Deno.env.get(k)] as const);
  for (const [k] of saved) Deno.env.delete(k);
  try {
    await body();
  } finally {
    for (const [k, v] of saved) if (v !== undefined) Deno.env.set(k, v);
  }
}

Deno.test("defaults are the real checksums and notebook 04's normalisation", () => {
  assert.deepEqual(CIFAR10_CHECKSUMS.map((c) => [c.algorithm, c.digest]), [
    ["md5", "c32a1d4ab5d03f1284b67883e8d87530"],
    ["sha256", "5fa7dea50efc19570b67dc7730eb080b76e267e970976ec78e16390a430271f8"],
  ]);
  assert.match(CIFAR10_MIRROR_CHECKSUM.description, /JPEG re-encoding, not the official pixels/);
  assert.deepEqual(IMAGENET_NORMALIZATION, {
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  });
});

Deno.test("parseCifar10Batch transposes R, G, B planes to HWC", () => {
  const bytes = batch(2, 4);
  const { x, y } = parseCifar10Batch(bytes, "b.bin", 2);
  assert.deepEqual([...y], [4, 5]);
  for (const [r, p, c] of [[0, 0, 0], [0, 0, 2], [1, 33, 1], [1, 1023, 2]]) {
    // Pixel p = row·32 + col of channel c in record r.
    assert.equal(x[(r * 1024 + p) * 3 + c], bytes[r * CIFAR10_RECORD_BYTES + 1 + c * 1024 + p]);
  }
  assert.throws(
    () => parseCifar10Batch(bytes.subarray(0, 5000), "b.bin", 2),
    /b\.bin: truncated: expected 6146 bytes \(2 records of 3073\), got 5000; delete the extracted folder/,
  );
});

Deno.test("loadCifar10 extracts a local mirror once and reuses the cache", async () => {
  const f = await fixture();
  try {
    await withoutDataEnv(async () => {
      const train = await loadCifar10("train", options(f));
      assert.equal(train.size, 5 * RECORDS);
      assert.deepEqual(train.shape, [32, 32, 3]);
      assert.ok(train.x instanceof Uint8Array);
      assert.deepEqual(train.classNames, CLASSES);
      assert.equal(train.source, "CIFAR-10 test fixture");
      assert.deepEqual(train.normalization, CIFAR10_UNIT_SCALE);
      assert.deepEqual([...train.y], [0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6]);
      // Record 4 is batch 2's second record: its green pixel 100 sits at HWC index 100·3 + 1.
      const b2 = f.files.get("data_batch_2.bin")!;
      assert.equal(
        train.x[(4 * 1024 + 100) * 3 + 1],
        b2[1 * CIFAR10_RECORD_BYTES + 1 + 1024 + 100],
      );
      // A local mirror is used in place: the cache holds only the extraction.
      assert.deepEqual(await listNames(f.cacheDir), ["cifar-10-batches-bin"]);
      assert.ok(
        (await listNames(join(f.cacheDir, "cifar-10-batches-bin"))).includes(".complete.json"),
      );

      // Without the archive the second call still works: the cache is not re-read from it.
      await Deno.remove(join(f.mirror, CIFAR10_ARCHIVE));
      const test = await loadCifar10(
        "test",
        options(f, { normalization: IMAGENET_NORMALIZATION }),
      );
      assert.equal(test.size, RECORDS);
      assert.deepEqual([...test.y], [5, 6, 7]);
      assert.equal(test.source, "CIFAR-10 test fixture");
      assert.deepEqual(test.normalization, IMAGENET_NORMALIZATION);
      const raw = await loadCifar10("test", options(f, { normalization: null }));
      assert.equal(raw.normalization, undefined);
    });
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
});

Deno.test("loadCifar10 takes mirror and cache directory from the environment", async () => {
  const f = await fixture();
  try {
    await withoutDataEnv(async () => {
      Deno.env.set("KD_DATA_MIRROR", f.mirror);
      Deno.env.set("KD_DATA_DIR", f.cacheDir);
      try {
        const test = await loadCifar10("test", {
          expectedChecksums: [f.checksum],
          recordsPerBatch: RECORDS,
        });
        assert.equal(test.size, RECORDS);
        assert.ok(await Deno.stat(join(f.cacheDir, "cifar-10-batches-bin", ".complete.json")));
      } finally {
        Deno.env.delete("KD_DATA_MIRROR");
        Deno.env.delete("KD_DATA_DIR");
      }
    });
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
});

Deno.test("an interrupted extraction (no marker) is redone, stray partial files ignored", async () => {
  const f = await fixture();
  try {
    const half = join(f.cacheDir, "cifar-10-batches-bin");
    await Deno.mkdir(half, { recursive: true });
    await Deno.writeFile(join(half, "data_batch_1.bin"), new Uint8Array(100));
    await Deno.writeFile(join(f.cacheDir, ".cifar-10-binary.tar.gz.partial-x"), new Uint8Array(9));
    const train = await loadCifar10("train", options(f));
    assert.equal(train.size, 5 * RECORDS);
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
});

Deno.test("an unknown checksum names the file, both digests and the fix", async () => {
  const f = await fixture();
  try {
    const wrong: Checksum = { algorithm: "md5", digest: "0".repeat(32), description: "x" };
    await assert.rejects(
      loadCifar10("train", options(f, { expectedChecksums: [wrong] })),
      (e: Error) => {
        assert.match(e.message, /mirror\/cifar-10-binary\.tar\.gz: unknown checksum/);
        assert.match(e.message, /MD5 [0-9a-f]{32}, SHA256 [0-9a-f]{64}/);
        assert.match(e.message, /expected MD5 0{32} \[x\]/);
        assert.match(e.message, /point KD_DATA_MIRROR at another directory/);
        return true;
      },
    );
    // With the real defaults the fixture is rejected too, listing both real checksums.
    await assert.rejects(
      loadCifar10("train", options(f, { expectedChecksums: undefined })),
      /expected MD5 c32a1d4ab5d03f1284b67883e8d87530 \[CIFAR-10 official binary release\] or SHA256 5fa7dea50efc19570b67dc7730eb080b76e267e970976ec78e16390a430271f8 \[CIFAR-10 mirror copy \(JPEG re-encoding, not the official pixels\)\]/,
    );
    // A bad copy in the cache itself: the fix is to delete it.
    await Deno.mkdir(f.cacheDir, { recursive: true });
    await Deno.writeFile(join(f.cacheDir, CIFAR10_ARCHIVE), new Uint8Array(10));
    await assert.rejects(
      loadCifar10("train", options(f)),
      /cache\/cifar-10-binary\.tar\.gz: unknown checksum .*Delete .*cache\/cifar-10-binary\.tar\.gz and run again/,
    );
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
});

Deno.test("a missing archive with no mirror and no network says to set KD_DATA_MIRROR", async () => {
  const f = await fixture();
  try {
    await withoutDataEnv(async () => {
      await assert.rejects(
        loadCifar10("train", options(f, { mirror: undefined })),
        /could not download http:\/\/127\.0\.0\.1:\d+\/cifar-10-binary\.tar\.gz \(.*\); without network access, set KD_DATA_MIRROR to a directory \(or http\(s\) URL base\) holding cifar-10-binary\.tar\.gz/,
      );
      assert.deepEqual(await listNames(f.cacheDir), []);
      await assert.rejects(
        loadCifar10("train", options(f, { mirror: join(f.root, "nowhere") })),
        /nowhere\/cifar-10-binary\.tar\.gz does not exist: the mirror directory .* must hold cifar-10-binary\.tar\.gz/,
      );
    });
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
});

Deno.test("a URL mirror is downloaded atomically; failures leave nothing behind", async () => {
  const f = await fixture();
  const archive = await Deno.readFile(join(f.mirror, CIFAR10_ARCHIVE));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/good/cifar-10-binary.tar.gz") return new Response(archive);
    if (path === "/other/cifar-10-binary.tar.gz") return new Response("not an archive");
    return new Response("no such file", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  // A raw socket that promises the whole archive, sends half, then hangs up.
  const cutter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const cutting = (async () => {
    for await (const conn of cutter) {
      await conn.read(new Uint8Array(4096));
      const head = `HTTP/1.1 200 OK\r\ncontent-length: ${archive.length}\r\n\r\n`;
      await conn.write(new TextEncoder().encode(head));
      await conn.write(archive.subarray(0, archive.length >> 1));
      conn.close();
    }
  })();
  try {
    await assert.rejects(
      loadCifar10("train", options(f, { mirror: `${base}/missing/` })),
      /could not download http:\/\/127\.0\.0\.1:\d+\/missing\/cifar-10-binary\.tar\.gz: HTTP 404/,
    );
    await assert.rejects(
      loadCifar10("train", options(f, { mirror: `http://127.0.0.1:${cutter.addr.port}/cut` })),
      /download of .*\/cut\/cifar-10-binary\.tar\.gz failed after \d+ bytes .*KD_DATA_MIRROR/,
    );
    await assert.rejects(
      loadCifar10("train", options(f, { mirror: `${base}/other` })),
      /cifar-10-binary\.tar\.gz downloaded from .*\/other\/cifar-10-binary\.tar\.gz: unknown checksum .*nothing was kept/,
    );
    assert.deepEqual(await listNames(f.cacheDir), [], "a failed download left files behind");

    const train = await loadCifar10("train", options(f, { mirror: `${base}/good` }));
    assert.equal(train.size, 5 * RECORDS);
    assert.deepEqual(await listNames(f.cacheDir), ["cifar-10-batches-bin", CIFAR10_ARCHIVE]);
  } finally {
    await server.shutdown();
    cutter.close();
    await cutting.catch(() => {});
    await Deno.remove(f.root, { recursive: true });
  }
});

Deno.test("truncated batches, bad labels and foreign archives give clear errors", async () => {
  const cases: [string, (files: Map<string, Uint8Array>) => void, RegExp][] = [
    [
      "truncated",
      (m) => m.set("data_batch_3.bin", m.get("data_batch_3.bin")!.subarray(0, 9000)),
      /data_batch_3\.bin: truncated: expected 9219 bytes \(3 records of 3073\), got 9000; delete the extracted folder/,
    ],
    [
      "label",
      (m) => m.get("data_batch_2.bin")![CIFAR10_RECORD_BYTES] = 10,
      /data_batch_2\.bin: label 10 in record 1 is out of range 0\.\.9; the file is corrupt/,
    ],
    [
      "meta",
      (m) => m.set("batches.meta.txt", new TextEncoder().encode("cat\ndog\n")),
      /batches\.meta\.txt: expected 10 class names, one a line, got 2/,
    ],
    [
      "missing",
      (m) => m.delete("test_batch.bin"),
      /cifar-10-binary\.tar\.gz: has no cifar-10-batches-bin\/test_batch\.bin; this is not the CIFAR-10 binary archive/,
    ],
  ];
  for (const [name, edit, error] of cases) {
    const f = await fixture(edit);
    try {
      await assert.rejects(loadCifar10("train", options(f)), error, name);
    } finally {
      await Deno.remove(f.root, { recursive: true });
    }
  }
  // A damaged archive whose checksum was (wrongly) accepted still fails cleanly.
  const f = await fixture();
  try {
    const path = join(f.mirror, CIFAR10_ARCHIVE);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length >> 1));
    const checksum = { ...f.checksum, digest: (await fileDigests(path)).sha256 };
    await assert.rejects(
      loadCifar10("train", options(f, { expectedChecksums: [checksum] })),
      /cifar-10-binary\.tar\.gz: extraction failed .*the archive is damaged/,
    );
    assert.deepEqual(await listNames(f.cacheDir), [], "a failed extraction left files behind");
  } finally {
    await Deno.remove(f.root, { recursive: true });
  }
});

const SHARED = new URL("../../shared/data/", import.meta.url).pathname;
let hasShared = false;
try {
  hasShared = Deno.statSync(join(SHARED, CIFAR10_ARCHIVE)).isFile;
} catch {
  hasShared = false;
}

Deno.test({
  name: "real CIFAR-10 mirror from shared/data: 50,000 / 10,000 records, 5,000 per class",
  ignore: !hasShared,
  async fn() {
    const cacheDir = await Deno.makeTempDir({ prefix: "cifar10-real-" });
    try {
      const t0 = performance.now();
      const opts = { mirror: SHARED, cacheDir };
      const train = await loadCifar10("train", opts);
      const t1 = performance.now();
      const test = await loadCifar10("test", opts);
      const t2 = performance.now();
      assert.equal(train.size, 50000);
      assert.equal(test.size, 10000);
      assert.equal(train.x.length, 50000 * 32 * 32 * 3);
      assert.equal(train.source, CIFAR10_MIRROR_CHECKSUM.description);
      assert.deepEqual(train.classNames, CLASSES);
      const counts = new Array(10).fill(0);
      for (const label of train.y) counts[label]++;
      assert.deepEqual(counts, new Array(10).fill(5000));
      const testCounts = new Array(10).fill(0);
      for (const label of test.y) testCounts[label]++;
      assert.deepEqual(testCounts, new Array(10).fill(1000));
      console.log(
        `verify+extract+load train ${((t1 - t0) / 1000).toFixed(1)} s, ` +
          `load test from cache ${((t2 - t1) / 1000).toFixed(1)} s`,
      );
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});
