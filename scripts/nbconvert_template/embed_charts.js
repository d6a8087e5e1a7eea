// The HTML report's chart runtime (inlined by index.html.j2 after vega, vega-lite and vega-embed).
//
// Each chart output is a `.kd-chart` element holding the static SVG (what a reader without
// scripts sees) and the chart's vega-lite spec as JSON. Here every chart is rendered from its spec
// with vega-embed, so the report keeps the sliders, tooltips and selections JupyterLab shows; the
// SVG is removed only once its embed has succeeded, so a chart that fails stays readable.
//
// `globalThis.kdReport` (window.kdReport) is what scripts/browser/report_check.ts reads: `ready` settles when every
// chart has been tried, and `charts[i].view` is the vega View (for its data and scenegraph).
(() => {
  "use strict";
  /** @type {{index: number, title: string, status: string, error: string | null, view: unknown}[]} */
  const charts = [];
  let settle;
  const ready = new Promise((resolve) => (settle = resolve));
  globalThis.kdReport = { charts, ready };

  function titleOf(spec) {
    const t = spec && spec.title;
    if (typeof t === "string") return t;
    if (t && typeof t.text === "string") return t.text;
    if (t && Array.isArray(t.text)) return t.text.join(" ");
    return "";
  }

  async function embedOne(node, index) {
    const entry = { index, title: "", status: "pending", error: null, view: null };
    charts.push(entry);
    try {
      const spec = JSON.parse(node.querySelector("script.kd-chart-spec").textContent);
      entry.title = titleOf(spec);
      if (typeof vegaEmbed !== "function") {
        // A report written without the scripts (execute_notebooks.py without --report-script).
        entry.status = "static";
        entry.error = "vega-embed is not part of this report";
        return;
      }
      const target = document.createElement("div");
      target.className = "kd-chart-embed";
      node.appendChild(target);
      try {
        // SVG, not canvas: crisp when zoomed or printed, and its marks are in the DOM.
        const result = await vegaEmbed(target, spec, { actions: false, renderer: "svg" });
        entry.view = result.view;
      } catch (e) {
        target.remove();
        throw e;
      }
      const fallback = node.querySelector(".kd-chart-fallback");
      if (fallback) fallback.remove();
      entry.status = "rendered";
    } catch (e) {
      entry.status = "failed";
      entry.error = String((e && e.message) || e);
      // Loud on purpose: whoever opens the report's console sees which chart fell back to SVG.
      console.error(`chart ${index} ("${entry.title}") kept its static SVG: ${entry.error}`);
    } finally {
      node.dataset.kdChart = entry.status;
    }
  }

  function embedAll() {
    const nodes = [...document.querySelectorAll(".kd-chart")];
    Promise.all(nodes.map(embedOne)).then(() => settle(charts.length));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", embedAll);
  else embedAll();
})();
