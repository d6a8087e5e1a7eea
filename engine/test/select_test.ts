import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  type BackendChoice,
  describeBackend,
  ensureBackend,
  findInstalledTfjsNode,
  parseBackendName,
  selectBackend,
} from "../mod.ts";

/** Runs `fn` with KD_BACKEND set (or removed), restoring the caller's value after. */
async function withKdBackend<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = Deno.env.get("KD_BACKEND");
  if (value === undefined) Deno.env.delete("KD_BACKEND");
  else Deno.env.set("KD_BACKEND", value);
  try {
    return await fn();
  } finally {
    if (saved === undefined) Deno.env.delete("KD_BACKEND");
    else Deno.env.set("KD_BACKEND", saved);
  }
}

Deno.test("KD_BACKEND=cpu is honoured and cached", async () => {
  await withKdBackend("cpu", async () => {
    const choice = await selectBackend();
    assert.equal(choice.name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.match(choice.reason, /KD_BACKEND=cpu/);
    assert.equal(await selectBackend(), choice, "second call returns the cached choice");
  });
});

Deno.test("KD_BACKEND with an unknown value is an error listing the valid ones", async () => {
  await withKdBackend("gpu", async () => {
    await assert.rejects(
      selectBackend(),
      (e: Error) => {
        assert.match(e.message, /KD_BACKEND="gpu"/);
        assert.match(e.message, /tensorflow, wasm, cpu, webgpu/);
        return true;
      },
    );
  });
  assert.throws(() => parseBackendName("tpu", "prefer"), /prefer="tpu".*valid values/);
  assert.equal(parseBackendName(" WASM "), "wasm");
});

Deno.test("KD_BACKEND=tensorflow without tfjs-node installed says so", async () => {
  if (findInstalledTfjsNode() !== undefined) return; // a machine that has it
  await withKdBackend("tensorflow", async () => {
    await assert.rejects(selectBackend(), /KD_BACKEND=tensorflow.*not installed/);
  });
});

Deno.test("without KD_BACKEND, wasm with our kernels is chosen here", async () => {
  if (findInstalledTfjsNode() !== undefined) return;
  await withKdBackend(undefined, async () => {
    const choice = await selectBackend();
    assert.equal(choice.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.match(
      describeBackend(choice),
      // The native layer adds its library to the parentheses and says whether it runs.
      /^backend: wasm \((no )?SIMD, \d+ threads?( \+ native oneDNN [\d.]+, \d+ threads?)?\) — tfjs-node not installed; conv gradients rewritten as forward convolutions; (convolutions, matrix products, batch norm and large element-wise ops native|no native library \(.+\))$/,
    );
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined);
    // ensureBackend switches back after someone else changed the backend.
    await tf.setBackend("cpu");
    assert.equal(await ensureBackend(), choice);
    assert.equal(tf.getBackend(), "wasm");
  });
});

Deno.test("describeBackend gives one line", () => {
  const choice: BackendChoice = { name: "cpu", reason: "KD_BACKEND=cpu" };
  assert.equal(describeBackend(choice), "backend: cpu (plain JS) — KD_BACKEND=cpu");
  const line = describeBackend({ name: "tensorflow", reason: "@tensorflow/tfjs-node installed" });
  assert.equal(line, "backend: tensorflow (native) — @tensorflow/tfjs-node installed");
  assert.ok(!line.includes("\n"));
});

Deno.test("findInstalledTfjsNode needs the native binding, and prefers -gpu", () => {
  const root = Deno.makeTempDirSync({ prefix: "kd_backend_" });
  try {
    assert.equal(findInstalledTfjsNode([root]), undefined);
    const pkg = (name: string) => join(root, "node_modules", "@tensorflow", name);
    for (const name of ["tfjs-node", "tfjs-node-gpu"]) {
      Deno.mkdirSync(join(pkg(name), "lib"), { recursive: true });
      Deno.writeTextFileSync(join(pkg(name), "package.json"), "{}");
    }
    // Unpacked without its install script: no binding, so not installed.
    assert.equal(findInstalledTfjsNode([root]), undefined);
    Deno.mkdirSync(join(pkg("tfjs-node"), "lib", "napi-v8"));
    Deno.writeFileSync(
      join(pkg("tfjs-node"), "lib", "napi-v8", "tfjs_binding.node"),
      new Uint8Array(1),
    );
    assert.deepEqual(findInstalledTfjsNode([root]), { name: "@tensorflow/tfjs-node", root });
    Deno.mkdirSync(join(pkg("tfjs-node-gpu"), "lib", "napi-v9"));
    Deno.writeFileSync(
      join(pkg("tfjs-node-gpu"), "lib", "napi-v9", "tfjs_binding.node"),
      new Uint8Array(1),
    );
    assert.deepEqual(findInstalledTfjsNode([root]), { name: "@tensorflow/tfjs-node-gpu", root });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("importing the engine registers no backend; the first selection loads the wasm engine", async () => {
  const entry = new URL("../mod.ts", import.meta.url).href;
  const code = `import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "${entry}";
const names = () => Object.keys(tf.engine().registryFactory).sort().join(",");
console.log(names());
await selectBackend();
console.log(names());`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { KD_BACKEND: "cpu" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const [imported, selected] = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.equal(imported, "cpu", "registered by importing the engine");
  // Even a cpu selection loads it: the wasm settings are checked before any engine starts.
  assert.equal(selected, "cpu,wasm");
});
