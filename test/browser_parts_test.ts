/**
 * The browser test's parts that need no browser: which charts a notebook's outputs hold, which
 * table the Jupyter-page run looks for, which interactions a lesson's report must offer, what
 * counts as a local request, and that Chromium is always launched offline.
 */
import assert from "node:assert/strict";
import { chromiumArgs, isLocalUrl } from "../scripts/browser/cdp.ts";
import { comparableHeaders, lastTableHeaders } from "../scripts/browser/jupyter_page.ts";
import { missingInteractions } from "../scripts/browser/main.ts";
import { chartBundles, type ReportResult } from "../scripts/browser/report_check.ts";

const MIME = "application/vnd.vegalite.v5+json";

Deno.test("bundles: vega-lite outputs in order, with nested params and the T slider's range", () => {
  const nb = {
    cells: [
      { outputs: [{ data: { "text/html": "<table></table>" } }] },
      {
        outputs: [
          { data: { [MIME]: { title: "plain", mark: "bar" } } },
          {
            data: {
              [MIME]: {
                title: { text: "slider", subtitle: "s" },
                params: [{ name: "T", value: 1, bind: { input: "range", min: 0.5, max: 20 } }],
              },
            },
          },
        ],
      },
      {
        outputs: [{
          data: {
            [MIME]: {
              vconcat: [{ params: [{ name: "cellSelect", select: "point" }] }, {
                layer: [{ params: [{ name: "runSelect", bind: "legend" }] }],
              }],
            },
          },
        }],
      },
    ],
  };
  assert.deepEqual(chartBundles(nb), [
    { cell: 1, title: "plain", params: [] },
    { cell: 1, title: "slider", params: ["T"], temperatureRange: { min: 0.5, max: 20, value: 1 } },
    { cell: 2, title: "", params: ["cellSelect", "runSelect"] },
  ]);
});

Deno.test("last table: the header cells of the notebook's last HTML table", () => {
  const nb = {
    cells: [
      { cell_type: "code", outputs: [{ data: { "text/html": "<table><th>old</th></table>" } }] },
      {
        cell_type: "code",
        outputs: [{
          data: {
            "text/html": [
              "<div><b>Results</b><table><thead><tr><th>model</th>",
              '<th style="x">test <i>accuracy</i> &amp; sd</th></tr></thead></table></div>',
            ],
          },
        }, { data: { "text/html": "<div>✗ not yet</div>" } }],
      },
    ],
  };
  assert.deepEqual(lastTableHeaders(nb), ["model", "test accuracy & sd"]);
  assert.deepEqual(lastTableHeaders({ cells: [] }), []);
});

function result(report: string, sliders: number, selections: string[]): ReportResult {
  return {
    report,
    notebook: "",
    bundles: [],
    charts: [],
    problems: [],
    failures: [],
    sliders: Array.from({ length: sliders }, () => ({
      chart: 0,
      title: "",
      low: { T: 1, heights: [], bars: [] },
      high: { T: 10, heights: [], bars: [] },
      maxSoftmaxError: 0,
    })),
    selections: selections.map((param) => ({ chart: 0, title: "", param, before: 0, after: 1 })),
    tooltips: [],
  };
}

Deno.test("interactions: 01 must have exercised a T slider, 05 both selections", () => {
  assert.deepEqual(missingInteractions(result("/b/01_mnist_teacher_student.html", 1, [])), []);
  assert.deepEqual(missingInteractions(result("/b/01_mnist_teacher_student.html", 0, [])), [
    "01_mnist_teacher_student.html: no chart with the T param was exercised (its notebook " +
    "should have one)",
  ]);
  assert.equal(
    missingInteractions(result("/b/05_mnist_mlp_student.html", 0, ["runSelect"])).length,
    1,
  );
  assert.deepEqual(
    missingInteractions(result("/b/05_mnist_mlp_student.html", 0, ["cellSelect", "runSelect"])),
    [],
  );
  assert.deepEqual(missingInteractions(result("/b/03_tabular_people.html", 0, [])), []);
});

Deno.test("local urls: files and 127.0.0.1 only", () => {
  for (
    const u of ["file:///r/build/html/a.html", "data:text/plain,x", "http://127.0.0.1:8888/api"]
  ) {
    assert.equal(isLocalUrl(u), true, u);
  }
  for (const u of ["https://cdn.jsdelivr.net/npm/vega@5", "http://8.8.8.8/", "http://127.0.0.2/"]) {
    assert.equal(isLocalUrl(u), false, u);
  }
});

Deno.test("chromium: always headless, throwaway profile, no host but 127.0.0.1 resolves", () => {
  const args = chromiumArgs("/tmp/p", [800, 600]);
  assert.ok(args.includes("--headless"));
  assert.ok(args.includes("--user-data-dir=/tmp/p"));
  assert.ok(args.includes("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"));
  assert.ok(args.includes("--remote-debugging-port=0"));
  assert.ok(args.includes("--window-size=800,600"));
});

Deno.test("a quick run's table matches a cpu run's once the per-seed column is set aside", () => {
  const cpu = ["model", "ours", "per seed (1, 2, 3)", "vs student alone", "the blog"];
  const quick = ["model", "ours", "vs student alone", "the blog"];
  assert.equal(comparableHeaders(cpu), comparableHeaders(quick));
  assert.notEqual(comparableHeaders(cpu), comparableHeaders(["model", "ours", "the blog"]));
});
