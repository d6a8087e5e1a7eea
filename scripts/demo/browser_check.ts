/**
 * The demo's browser check: headless Chromium opens the demo page served from 127.0.0.1, a digit
 * of MNIST's test set is painted into the canvas by script, and both models' predicted classes in
 * the browser must equal the library's in Deno for that image; the page must have fetched nothing
 * from another host. A screenshot goes to build/screenshots/demo.png.
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

/** One model's verdict in each place. */
export interface DemoAgreement {
  readonly model: string;
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
    deno.set(m.name, predictClasses(model, image)[0]);
    model.dispose();
  }
  const ac = new AbortController();
  const server = await serveDemo({ modelsDir, port: 0, signal: ac.signal });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const page = await openPage(`${base}/`);
  try {
    const results = await page.evaluate<{ name: string; predicted: number; ms: number }[]>(
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
    const agreement = results.map((r) => ({
      model: r.name,
      deno: deno.get(r.name)!,
      browser: r.predicted,
      browserMs: r.ms,
    }));
    for (const a of agreement) {
      if (a.deno !== a.browser) {
        throw new Error(
          `${a.model}: the browser predicts ${a.browser} for MNIST test digit ${digit}, the ` +
            `library in Deno ${a.deno}; the page's preprocessing or the saved files disagree`,
        );
      }
    }
    if (agreement.length !== manifest.models.length) {
      throw new Error(
        `the page classified with ${agreement.length} of ${manifest.models.length} models`,
      );
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
  const manifest = await prepareDemoModels();
  const agreement = await checkDemoInBrowser(openDemoPage, {
    modelsDir: new URL("../../build/demo/models", import.meta.url).pathname,
  });
  console.log(
    `demo in the browser: ${
      agreement.map((a) => `${a.model} ${a.browser} (Deno ${a.deno}, ${a.browserMs.toFixed(1)} ms)`)
        .join(", ")
    } for ${manifest.models.length} models; screenshot in build/screenshots/demo.png`,
  );
}
