/**
 * The demo in a real browser: headless Chromium (Debian's, or KD_CHROMIUM), driven over the
 * DevTools protocol by scripts/browser/cdp.ts and unable to resolve any host but 127.0.0.1, opens
 * the served page; scripts/demo/browser_check.ts paints a digit of MNIST's test set into the canvas
 * and requires both models' classes in the browser to equal the library's in Deno, the student's
 * ONNX file in ONNX Runtime Web to give TensorFlow.js's class, and nothing fetched from another
 * host. Skipped where no Chromium is installed, unless KD_REQUIRE_BROWSER is
 * on (.ci/run), where a skip would hide a failure.
 */
import assert from "node:assert/strict";
import { settingIsOn } from "../lib/settings.ts";
import { haveChromium, openDemoPage } from "../scripts/browser/cdp.ts";
import { checkDemoInBrowser } from "../scripts/demo/browser_check.ts";
import { prepareDemoModels } from "../scripts/demo/models.ts";

const SCREENSHOT = new URL("../build/screenshots/demo.png", import.meta.url).pathname;
const chromium = await haveChromium();
if (!chromium && settingIsOn("KD_REQUIRE_BROWSER")) {
  throw new Error("the demo's browser test cannot run: no Chromium (KD_CHROMIUM)");
}

Deno.test({
  name:
    "in Chromium, offline, both models (and the student in ONNX Runtime Web) give an MNIST test " +
    "digit the class the library gives it",
  ignore: !chromium,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await prepareDemoModels({
        dir,
        trainImages: 2_000,
        testImages: 200,
        log: () => {},
      });
      const agreement = await checkDemoInBrowser(openDemoPage, {
        modelsDir: dir,
        digit: 0,
        screenshot: SCREENSHOT,
      });
      assert.deepEqual(agreement.map((a) => [a.model, a.runtime]), [
        ["teacher", "TensorFlow.js"],
        ["student", "TensorFlow.js"],
        ["student", "ONNX Runtime Web"],
      ]);
      for (const a of agreement) assert.equal(a.browser, a.deno, `${a.model} in ${a.runtime}`);
      assert.equal(agreement[2].browser, agreement[1].browser);
      assert.ok((await Deno.stat(SCREENSHOT)).size > 5_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
