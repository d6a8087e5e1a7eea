/**
 * The demo's browser check: headless Chromium opens the demo page served from 127.0.0.1, a digit
 * of MNIST's test set is painted into the canvas by script, and both models' predicted classes in
 * the browser must equal the library's in Deno for that image; the student's ONNX file, run by
 * ONNX Runtime Web in the page, must give the class TensorFlow.js gives it there (and
 * onnxruntime-node in Deno); the page must have fetched nothing from another host. A screenshot
 * goes to build/screenshots/demo.png.
 *
 * The browser is driven through a small page interface (`DemoPage`), which the project's
 * DevTools-protocol client provides (`openDemoPage` in scripts/browser/cdp.ts). Run by
 * test/demo_browser_test.ts; `deno run -A scripts/demo/browser_check.ts` checks build/demo/models.
 */
import { join } from "node:path";
import { select } from "../../lib/data/dataset.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { predictClasses } from "../../lib/distill/evaluate.ts";
import { loadModel } from "../../lib/io/model_dir.ts";
import { onnxPredict, openOnnx } from "../../lib/ship/onnx/runtime.ts";
import { classesOf } from "../../lib/distill/evaluate.ts";
import { type DemoManifest, prepareDemoModels } from "./models.ts";
import { serveDemo } from "./serve.ts";

/** What the check needs from a browser page. */
export interface DemoPage {
  /** Evaluates a JavaScript expression in the page, awaiting a promise, and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Writes a PNG of the page. */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens `url` in a headless browser that cannot reach any host but 127.0.0.1. */
export type OpenPage = (url: string) => Promise<DemoPage>;

/** Which runtime ran a model in the page. */
export type DemoRuntime = "TensorFlow.js" | "ONNX Runtime Web";

/** One model's verdict in each place: the page's runtime, and the same file's in Deno. */
export interface DemoAgreement {
  readonly model: string;
  readonly runtime: DemoRuntime;
  /** In Deno: tfjs for the tfjs files, onnxruntime-node for the ONNX files. */
  readonly deno: number;
  readonly browser: number;
  readonly browserMs: number;
}

/** Options for `checkDemoInBrowser`. */
export interface BrowserCheckOptions {
  modelsDir: string;
  /** Index of the MNIST test digit painted (default 0, a 7). */
  digit?: number;
  /** Default build/screenshots/demo.png. */
  screenshot?: string;
}

const ROOT = new URL("../..", import.meta.url).pathname;

/** Runs the check; throws naming the model whose browser class differs, or a foreign request. */
export async function checkDemoInBrowser(
  openPage: OpenPage,
  options: BrowserCheckOptions,
): Promise<DemoAgreement[]> {
  const { modelsDir, digit = 0, screenshot = join(ROOT, "build/screenshots/demo.png") } = options;
  const manifest: DemoManifest = JSON.parse(
    await Deno.readTextFile(join(modelsDir, "demo.json")),
  );
  const test = await loadMnist("test");
  const image = select(test, [digit]);
  const pixels = Array.from(image.x);
  const deno = new Map<string, number>();
  for (const m of manifest.models) {
    const model = await loadModel(join(modelsDir, m.path));
    deno.set(`TensorFlow.js ${m.name}`, predictClasses(model, image)[0]);
    model.dispose();
  }
  for (const m of manifest.onnx) {
    const session = await openOnnx(join(modelsDir, m.path));
    deno.set(`ONNX Runtime Web ${m.name}`, classesOf(await onnxPredict(session, image))[0]);
    await session.release();
  }
  const ac = new AbortController();
  const server = await serveDemo({ modelsDir, port: 0, signal: ac.signal });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const page = await openPage(`${base}/`);
  try {
    const results = await page.evaluate<
      { name: string; runtime: DemoRuntime; predicted: number; ms: number }[]
    >(
      `(async () => { await demo.ready; demo.drawPixels(${JSON.stringify(pixels)}); ` +
        `return demo.classify(); })()`,
    );
    const foreign = await page.evaluate<string[]>(
      `performance.getEntriesByType("resource").map((e) => e.name)` +
        `.filter((u) => !u.startsWith(${JSON.stringify(base)}))`,
    );
    if (foreign.length) throw new Error(`the demo page fetched from other hosts: ${foreign}`);
    await Deno.mkdir(join(screenshot, ".."), { recursive: true });
    await page.screenshot(screenshot);
    const agreement: DemoAgreement[] = results.map((r) => ({
      model: r.name,
      runtime: r.runtime,
      deno: deno.get(`${r.runtime} ${r.name}`)!,
      browser: r.predicted,
      browserMs: r.ms,
    }));
    const expected = manifest.models.length + manifest.onnx.length;
    if (agreement.length !== expected) {
      throw new Error(`the page classified with ${agreement.length} of ${expected} models`);
    }
    for (const a of agreement) {
      if (a.deno !== a.browser) {
        throw new Error(
          `${a.model} in ${a.runtime}: the browser predicts ${a.browser} for MNIST test digit ` +
            `${digit}, the same file in Deno ${a.deno}; the page's preprocessing or the saved ` +
            `files disagree`,
        );
      }
    }
    for (const a of agreement.filter((a) => a.runtime === "ONNX Runtime Web")) {
      const tfjs = agreement.find((b) => b.runtime === "TensorFlow.js" && b.model === a.model);
      if (tfjs?.browser !== a.browser) {
        throw new Error(
          `${a.model}: ONNX Runtime Web predicts ${a.browser} for MNIST test digit ${digit}, ` +
            `TensorFlow.js in the same page ${tfjs?.browser}; the ONNX export disagrees`,
        );
      }
    }
    return agreement;
  } finally {
    await page.close();
    ac.abort();
    await server.finished;
  }
}

if (import.meta.main) {
  const { openDemoPage } = await import("../browser/cdp.ts");
  await prepareDemoModels();
  const agreement = await checkDemoInBrowser(openDemoPage, {
    modelsDir: new URL("../../build/demo/models", import.meta.url).pathname,
  });
  console.log(
    `demo in the browser: ${
      agreement.map((a) =>
        `${a.model} in ${a.runtime} ${a.browser} (Deno ${a.deno}, ${a.browserMs.toFixed(1)} ms)`
      ).join(", ")
    }; screenshot in build/screenshots/demo.png`,
  );
}
