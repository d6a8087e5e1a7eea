/**
 * Proving a native library in a child process (wasm/native/probe.ts,
 * prove.ts): a real oneDNN passes and its verdict is cached and reused, a
 * file that is not oneDNN fails with a reason, and a child that dies of a bad
 * FFI call becomes a reason instead of taking the caller down.
 */
import assert from "node:assert/strict";
import { defaultLibraryPaths, loadOneDnn } from "../wasm/native/loader.ts";
import { PROOF_CACHE_FILE, proveNativeLibrary } from "../wasm/native/prove.ts";
import type { ProbeVerdict } from "../wasm/native/probe.ts";

const loaded = loadOneDnn();
const ignore = !loaded.ok;
if (!loaded.ok) console.warn(`skipping the oneDNN probe tests: ${loaded.reason}`);
/** The name the loader found, e.g. "libdnnl.so.2". */
const libraryPath = loaded.ok ? loaded.library.path : defaultLibraryPaths()[0];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "probe.ts prints one JSON verdict: every kernel within tolerance of the reference",
  ignore,
  async fn() {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../wasm/native/probe.ts", import.meta.url).href, libraryPath],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.ok(out.success);
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    assert.equal(lines.length, 1);
    const verdict = JSON.parse(lines[0]) as ProbeVerdict;
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.match(verdict.description, /^oneDNN 2\./);
    assert.deepEqual(verdict.checks.map((c) => c.name), [
      "conv2dForward +bias +relu",
      "conv2dBackwardData",
      "conv2dBackwardFilter",
      "conv2dBackwardFilter bias",
      "matMul",
      "matMul Bᵀ",
      "matMul Aᵀ",
      "matMul Aᵀ Bᵀ",
      "binary add (row)",
      "binary mul",
      "relu",
      "reluGrad",
      "maxPool",
      "batchNormTrain C=10",
      "batchNormInference C=10",
      "batchNormGrad C=10",
      "batchNormTrain+relu C=10",
      "batchNormGrad+relu C=10",
      "batchNormTrain C=16",
      "batchNormInference C=16",
      "batchNormGrad C=16",
      "batchNormTrain+relu C=16",
      "batchNormGrad+relu C=16",
    ]);
    // One implementation or more per kernel (batch norm's depends on the channel count).
    const kernels = new Set(verdict.impls.map((i) => i.split(":")[0]));
    assert.equal(kernels.size, 11, verdict.impls.join("; "));
  },
});

Deno.test({
  name: "proveNativeLibrary: a passing library is proved once, then its cached verdict is reused",
  ignore,
  async fn() {
    await withTempDir(async (dir) => {
      const cacheDir = `${dir}/cache`; // created on first use
      const first = await proveNativeLibrary(libraryPath, cacheDir);
      assert.ok(first.ok, JSON.stringify(first));
      assert.equal(first.fromCache, false);
      const cache = JSON.parse(await Deno.readTextFile(`${cacheDir}/${PROOF_CACHE_FILE}`));
      const keys = Object.keys(cache);
      assert.equal(keys.length, 1);
      // The key names the file behind the name, its size, mtime and the version.
      assert.match(
        keys[0],
        new RegExp(`^${libraryPath.replaceAll(".", "\\.")}\\|/.+\\|\\d+\\|\\d+\\|2\\.`),
      );
      const second = await proveNativeLibrary(libraryPath, cacheDir);
      assert.equal(second.fromCache, true);
      assert.deepEqual({ ...second, fromCache: false }, first);
    });
  },
});

Deno.test("proveNativeLibrary: files that are not oneDNN fail with a reason, nothing cached", async () => {
  await withTempDir(async (dir) => {
    const fake = `${dir}/libdnnl.so.2`;
    await Deno.writeTextFile(fake, "not a library\n");
    const text = await proveNativeLibrary(fake, dir);
    assert.ok(!text.ok && text.reason.startsWith("not a oneDNN library"), JSON.stringify(text));
    if (Deno.build.os === "linux") {
      const libm = await proveNativeLibrary("libm.so.6", dir);
      assert.ok(!libm.ok && libm.reason.includes("dnnl_version"), JSON.stringify(libm));
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["libdnnl.so.2"]);
  });
});

Deno.test({
  name: "proveNativeLibrary: a probe child killed by a bad FFI call is a failed, cached verdict",
  ignore: ignore || Deno.build.os !== "linux",
  async fn() {
    await withTempDir(async (dir) => {
      // What a wrong struct size or signature does: write through a bad pointer.
      const crash = `${dir}/crash.ts`;
      await Deno.writeTextFile(
        crash,
        `const libc = Deno.dlopen("libc.so.6", {
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
});
libc.symbols.memset(Deno.UnsafePointer.create(8n), 0, 8n);
`,
      );
      const probeModule = new URL(`file://${crash}`);
      const proof = await proveNativeLibrary(libraryPath, dir, { probeModule });
      assert.ok(!proof.ok, "a crashed probe passed");
      assert.match(proof.reason, /^the probe child died by SIGSEGV/);
      const again = await proveNativeLibrary(libraryPath, dir, { probeModule });
      assert.equal(again.fromCache, true, "the crash is not repeated on the next start");
      assert.equal(again.ok, false);
    });
  },
});

Deno.test({
  name: "proveNativeLibrary: a probe stopped for time fails now and is tried again next time",
  ignore: ignore || Deno.build.os !== "linux",
  async fn() {
    await withTempDir(async (dir) => {
      const hang = `${dir}/hang.ts`;
      await Deno.writeTextFile(hang, "await new Promise((r) => setTimeout(r, 60_000));\n");
      const options = { probeModule: new URL(`file://${hang}`), timeoutMs: 1_500 };
      const proof = await proveNativeLibrary(libraryPath, dir, options);
      assert.ok(!proof.ok && proof.reason.startsWith("the probe child was stopped after 1500 ms"));
      assert.equal(proof.fromCache, false);
      const again = await proveNativeLibrary(libraryPath, dir, options);
      assert.equal(again.fromCache, false);
    });
  },
});
