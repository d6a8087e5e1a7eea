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
  /** @type {{index: number, title: string, status: string, error: string | null, warnings: string[], view: unknown}[]} */
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

  /**
   * A vega-util logger that also keeps every warning and error for `entry`: vega-lite reports a
   * bad spec (an unknown mark, a channel it drops) as a warning and still draws a chart, often an
   * empty one, so a chart counts as rendered only when neither vega-lite nor vega complained.
   */
  function recordingLogger(entry) {
    const base = vega.logger(vega.Warn);
    const keep = (level) => (...args) => {
      entry.warnings.push(args.map(String).join(" "));
      base[level](...args);
      return logger;
    };
    const logger = {
      level(l) {
        if (l === undefined) return base.level();
        base.level(l);
        return logger;
      },
      error: keep("error"),
      warn: keep("warn"),
      info: (...args) => (base.info(...args), logger),
      debug: (...args) => (base.debug(...args), logger),
    };
    return logger;
  }

  /**
   * Why a drawn view is still not the chart: no marks at all, or marks without a position. A
   * field missing from the data compiles without a word and leaves NaN coordinates.
   */
  function drawingProblem(view) {
    let items = 0;
    let unplaced = 0;
    const walk = (mark) => {
      for (const item of mark.items || []) {
        if (mark.marktype !== "group" && mark.role === "mark") {
          items++;
          const geometry = ["x", "y", "x2", "y2", "width", "height"];
          if (geometry.some((k) => typeof item[k] === "number" && !Number.isFinite(item[k]))) {
            unplaced++;
          }
        }
        for (const child of item.items || []) walk(child);
      }
    };
    walk(view.scenegraph().root);
    if (items === 0) return "the chart draws no marks";
    if (unplaced > 0) {
      return `${unplaced} of its ${items} marks have no position (a field missing from the data?)`;
    }
    return null;
  }

  async function embedOne(node, index) {
    const entry = { index, title: "", status: "pending", error: null, warnings: [], view: null };
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
      const logger = recordingLogger(entry);
      // Compiled here rather than by vega-embed, which gives vega-lite no logger of ours.
      const compiled = vegaLite.compile(spec, { logger }).spec;
      // vega's View takes a logger too, for what goes wrong while the dataflow runs.
      const viewClass = class extends vega.View {
        constructor(runtime, options) {
          super(runtime, { ...options, logger });
        }
      };
      const target = document.createElement("div");
      target.className = "kd-chart-embed";
      node.appendChild(target);
      try {
        // SVG, not canvas: crisp when zoomed or printed, and its marks are in the DOM.
        const result = await vegaEmbed(target, compiled, {
          mode: "vega",
          actions: false,
          renderer: "svg",
          viewClass,
        });
        entry.view = result.view;
        if (entry.warnings.length) throw new Error(entry.warnings.join("; "));
        const problem = drawingProblem(result.view);
        if (problem) throw new Error(problem);
      } catch (e) {
        if (entry.view) entry.view.finalize();
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
