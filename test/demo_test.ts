import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadModel } from "../lib/io/model_dir.ts";
import { prepareDemoModels } from "../scripts/demo/models.ts";
import { DEFAULT_ORT_DIR, DEFAULT_TFJS, serveDemo } from "../scripts/demo/serve.ts";
import { openOnnx } from "../lib/ship/onnx/runtime.ts";

Deno.test("the demo serves its page, local tfjs and ONNX Runtime Web, and loadable models on 127.0.0.1, nothing else", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const manifest = await prepareDemoModels({
    dir,
    trainImages: 300,
    testImages: 100,
    log: (l) => lines.push(l),
  });
  assert.deepEqual(manifest.models.map((m) => [m.name, m.format]), [
    ["teacher", "float32"],
    ["student", "uint8"],
  ]);
  assert.deepEqual(manifest.onnx.map((m) => [m.name, m.path, m.format]), [
    ["student", "student.onnx", "int8"],
  ]);
  assert.equal(manifest.onnx[0].bytes, (await Deno.stat(`${dir}/student.onnx`)).size);
  // A second call reuses what the first saved.
  await prepareDemoModels({ dir, log: (l) => lines.push(l) });
  assert.match(lines.at(-1)!, /reusing the models in/);

  const ac = new AbortController();
  const server = await serveDemo({ modelsDir: dir, port: 0, signal: ac.signal });
  const base = `http://127.0.0.1:${server.addr.port}`;
  assert.equal(server.addr.hostname, "127.0.0.1");
  try {
    const get = async (path: string) => {
      const r = await fetch(base + path);
      return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
    };
    const page = await get("/");
    assert.equal(page.status, 200);
    assert.match(page.text, /<script src="\/tf\.min\.js"><\/script>/);
    assert.match(page.text, /<script src="\/ort\/ort\.wasm\.min\.js"><\/script>/);
    const app = await get("/app.js");
    assert.equal(app.status, 200);
    // Offline: neither the page nor its script names another host.
    for (const text of [page.text, app.text]) assert.doesNotMatch(text, /https?:\/\//);
    const tfjs = await get("/tf.min.js");
    assert.equal(tfjs.status, 200);
    assert.equal(tfjs.text, await Deno.readTextFile(DEFAULT_TFJS));
    assert.match(tfjs.text, /"4\.22\.0"/);
    assert.equal((await get("/models/demo.json")).type, "application/json");
    // ONNX Runtime Web: the script, the loader it imports and the wasm it fetches, as installed;
    // nothing else of the package.
    for (
      const [name, type] of [
        ["ort.wasm.min.js", "text/javascript; charset=utf-8"],
        ["ort-wasm-simd-threaded.mjs", "text/javascript; charset=utf-8"],
        ["ort-wasm-simd-threaded.wasm", "application/wasm"],
      ]
    ) {
      const r = await fetch(`${base}/ort/${name}`);
      assert.equal(r.headers.get("content-type"), type, name);
      const body = new Uint8Array(await r.arrayBuffer());
      assert.deepEqual(body, await Deno.readFile(`${DEFAULT_ORT_DIR}/${name}`), name);
    }
    for (
      const path of ["/ort/ort.all.min.js", "/ort/../package.json", "/ort/%2e%2e/package.json"]
    ) {
      assert.equal((await get(path)).status, 404, path);
    }
    // The served ONNX file loads in ONNX Runtime, with the page's input and output names.
    const onnxBytes = new Uint8Array(
      await (await fetch(`${base}/models/student.onnx`)).arrayBuffer(),
    );
    const session = await openOnnx(onnxBytes);
    assert.deepEqual([session.inputName, session.outputNames], ["input", ["logits"]]);
    await session.release();
    for (const path of ["/models/../../deno.json", "/models/%2e%2e/deno.json", "/../deno.json"]) {
      assert.equal((await get(path)).status, 404, path);
    }
    // tfjs reads the served uint8 student over HTTP as the browser does, and it predicts what
    // loadModel's copy predicts.
    const served = await tf.loadLayersModel(`${base}/models/student/model.json`);
    const local = await loadModel(`${dir}/student`);
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 5);
    const [a, b] = [served, local].map((m) => (m.predict(x) as tf.Tensor).arraySync());
    assert.deepEqual(a, b);
    x.dispose();
    served.dispose();
    local.dispose();
  } finally {
    ac.abort();
    await server.finished;
    await Deno.remove(dir, { recursive: true });
  }
});
