/**
 * The demo in a real browser, without a DevTools client: headless Chromium (Debian's) loads the
 * page with a digit of MNIST's test set in its #pixels= hash, the page paints it into the canvas
 * and writes each model's verdict into the DOM, which --dump-dom prints; a second run takes the
 * screenshot. Chromium may resolve no host but 127.0.0.1, so the page must work offline. Skipped
 * where no Chromium is installed (KD_CHROMIUM names another binary).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { select } from "../lib/data/dataset.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import { predictClasses } from "../lib/distill/evaluate.ts";
import { loadModel } from "../lib/io/model_dir.ts";
import { prepareDemoModels } from "../scripts/demo/models.ts";
import { serveDemo } from "../scripts/demo/serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
const SCREENSHOT = new URL("../build/screenshots/demo.png", import.meta.url).pathname;

async function chromium(args: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "kd-chromium-" });
  try {
    const out = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        // Offline: every host but the demo's own address fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=60000",
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-2000));
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

Deno.test({
  name: "in Chromium, offline, both models give an MNIST test digit the class the library gives it",
  ignore: !haveChromium,
  async fn() {
    const dir = await Deno.makeTempDir();
    const ac = new AbortController();
    try {
      const manifest = await prepareDemoModels({
        dir,
        trainImages: 2_000,
        testImages: 200,
        log: () => {},
      });
      const digit = 0;
      const image = select(await loadMnist("test"), [digit]);
      const want: Record<string, number> = {};
      for (const m of manifest.models) {
        const model = await loadModel(join(dir, m.path));
        want[m.name] = predictClasses(model, image)[0];
        model.dispose();
      }
      const server = await serveDemo({ modelsDir: dir, port: 0, signal: ac.signal });
      const url = `http://127.0.0.1:${server.addr.port}/#pixels=${
        btoa(String.fromCharCode(...image.x))
      }`;
      const dom = await chromium(["--dump-dom", url]);
      const json = dom.match(/<pre id="results">(.*?)<\/pre>/s);
      assert.ok(json, `the page wrote no results; its DOM ends: ${dom.slice(-1500)}`);
      const seen: {
        results: { name: string; predicted: number; probabilities: number[] }[];
        resources: string[];
        origin: string;
      } = JSON.parse(json[1].replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
      const got = Object.fromEntries(seen.results.map((r) => [r.name, r.predicted]));
      assert.deepEqual(got, want);
      for (const r of seen.results) {
        assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4, r.name);
      }
      assert.ok(seen.resources.length >= 5, `${seen.resources}`);
      for (const r of seen.resources) assert.ok(r.startsWith(seen.origin), r);

      await Deno.mkdir(join(SCREENSHOT, ".."), { recursive: true });
      await chromium([`--screenshot=${SCREENSHOT}`, "--window-size=1000,760", url]);
      assert.ok((await Deno.stat(SCREENSHOT)).size > 5_000);
    } finally {
      ac.abort();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
