import assert from "node:assert/strict";
import { printedLines } from "./fixtures/printed.ts";
import vega from "vega";
import {
  barChart,
  CELL_SELECTION_PARAM,
  type ChartSpec,
  chartSummary,
  chartText,
  confusionChart,
  type FieldDef,
  formatTable,
  heatmapChart,
  historyChart,
  PNG_SIGNATURE,
  renderPng,
  renderSvg,
  RUN_SELECTION_PARAM,
  softmaxTemperatureChart,
  TEMPERATURE_PARAM,
  temperatureSliderChart,
  toVegaSpec,
  uniquifySvgIds,
  VEGA_LITE_MIME,
  VEGA_LITE_SCHEMA,
  type ViewSpec,
} from "../lib/charts/mod.ts";
import { fitDomain } from "../lib/charts/bar.ts";
import {
  chartBundle,
  formatDuration,
  progressBar,
  progressFraction,
  showChart,
  showTable,
  tableBundle,
} from "../lib/notebook/display.ts";
import { softmax } from "../lib/softmax.ts";
import { inJupyterKernel } from "../lib/notebook/kernel_output.ts";

function field(def: unknown): FieldDef {
  assert.ok(def && typeof def === "object" && "field" in def, "expected a field definition");
  return def as FieldDef;
}

function markType(v: ViewSpec | ChartSpec): string | undefined {
  return typeof v.mark === "string" ? v.mark : v.mark?.type;
}

const runs = [
  {
    name: "teacher",
    history: [
      { epoch: 1, trainAccuracy: 0.9, testAccuracy: 0.88, loss: 0.4 },
      { epoch: 2, trainAccuracy: 0.95, testAccuracy: 0.93, loss: 0.2 },
    ],
  },
  { name: "student", history: [{ epoch: 1, trainAccuracy: 0.8, loss: 0.7 }] },
];

Deno.test("historyChart: long-format data, accuracy and loss panels, one colour per run", () => {
  const spec = historyChart(runs, { title: "History" });
  assert.equal(spec.$schema, VEGA_LITE_SCHEMA);
  assert.equal(spec.title, "History");
  // teacher: 2 epochs × (train, test, loss) = 6 rows; student: 1 epoch × (train, loss) = 2.
  assert.equal(spec.data.values.length, 8);
  assert.deepEqual(spec.data.values[1], {
    run: "teacher",
    epoch: 1,
    metric: "accuracy",
    split: "test",
    value: 0.88,
  });
  assert.deepEqual(spec.data.values[7], {
    run: "student",
    epoch: 1,
    metric: "loss",
    split: "train",
    value: 0.7,
  });
  const [acc, loss] = spec.hconcat ?? [];
  assert.equal(acc.title, "Accuracy");
  assert.deepEqual(acc.transform, [{ filter: "datum.metric === 'accuracy'" }]);
  const [line, points] = acc.layer ?? [];
  assert.equal(markType(line), "line");
  assert.equal(markType(points), "point");
  assert.equal(field(line.encoding?.x).field, "epoch");
  assert.equal(field(line.encoding?.color).field, "run");
  assert.deepEqual(field(line.encoding?.color).sort, ["teacher", "student"]);
  assert.equal(line.encoding?.strokeDash?.field, "split");
  assert.equal(loss.title, "Loss");
  assert.equal(markType(loss), "line");
  assert.equal(field(loss.encoding?.y).title, "training loss");
  assert.equal(historyChart(runs, { showLoss: false }).hconcat?.length, 1);
});

Deno.test("historyChart: no strokeDash when no run has test accuracy", () => {
  const spec = historyChart([runs[1]]);
  assert.equal(spec.hconcat?.[0].layer?.[0].encoding?.strokeDash, undefined);
});

Deno.test("barChart: bars, error rules from value ± error, value labels, percent axis", () => {
  const spec = barChart([
    { label: "teacher", value: 0.98, error: 0.01 },
    { label: "student", value: 0.9 },
  ], { title: "Accuracy" });
  assert.deepEqual(spec.data.values[0], {
    label: "teacher",
    group: null,
    value: 0.98,
    error: 0.01,
    lo: 0.97,
    hi: 0.99,
  });
  assert.equal(spec.data.values[1].lo, 0.9);
  assert.deepEqual(spec.layer?.map(markType), ["bar", "rule", "text"]);
  const [bar, rule, text] = spec.layer ?? [];
  assert.deepEqual(field(bar.encoding?.x).sort, ["teacher", "student"]);
  assert.equal(field(bar.encoding?.y).field, "value");
  assert.deepEqual(field(bar.encoding?.y).axis, { format: "%" });
  assert.equal(rule.encoding?.y2?.field, "hi");
  assert.equal(field(rule.encoding?.y).field, "lo");
  assert.equal(text.encoding?.text?.format, ".1%");
  assert.equal(spec.width, 480);
  assert.equal(spec.height, 280);
});

Deno.test("barChart: groups side by side via xOffset; no rule layer without errors", () => {
  const spec = barChart([
    { label: "T=1", group: "λ=0.5", value: 2 },
    { label: "T=1", group: "λ=0.9", value: 3 },
  ], { percent: false });
  assert.deepEqual(spec.layer?.map(markType), ["bar", "text"]);
  const bar = spec.layer?.[0];
  assert.equal(bar?.encoding?.xOffset?.field, "group");
  assert.equal(field(bar?.encoding?.color).field, "group");
  assert.equal(spec.layer?.[1].encoding?.text?.format, ".3~f");
});

Deno.test("barChart: a given domain widens to fit the data, in steps of its width", () => {
  // Notebook 01's cpu-profile accuracies fit [0.9, 1]; its quick profile's do not.
  assert.deepEqual(fitDomain([0.9, 1], [0.95, 0.99, 0.97]), [0.9, 1]);
  // 0.83 lies 0.03 above 0.8, more than a quarter step (0.025): 0.8 holds it.
  assert.deepEqual(fitDomain([0.9, 1], [0.83, 0.99]), [0.8, 1]);
  // 0.81 is 0.01 above 0.8, too close for its bar to show: one more step.
  assert.deepEqual(fitDomain([0.9, 1], [0.81, 0.99]), [0.7, 1]);
  assert.deepEqual(fitDomain([0.9, 1], [0.05]), [0, 1]);
  assert.deepEqual(fitDomain([0.9, 1], [0.95, 1.02]), [0.9, 1.02]);
  assert.deepEqual(fitDomain([-1, 1], [-1.5, 0]), [-3, 1]);
  assert.throws(() => fitDomain([1, 1], [1]), /barChart: domain \[1, 1\] is empty/);
  // The chart uses the widened domain, error bars included (0.85 - 0.04 = 0.81: 0.7).
  const spec = barChart([
    { label: "teacher", value: 0.96 },
    { label: "student", value: 0.85, error: 0.04 },
  ], { domain: [0.9, 1] });
  assert.deepEqual(field(spec.layer?.[0].encoding?.y).scale?.domain, [0.7, 1]);
});

Deno.test("heatmapChart: rect + text layers, value printed, contrast flips at the middle", () => {
  const cells = [
    { x: 1, y: 0.5, value: 0.9 },
    { x: 4, y: 0.5, value: 0.96 },
    { x: 1, y: 0.9, value: 0.92 },
    { x: 4, y: 0.9, value: 0.94 },
  ];
  const spec = heatmapChart(cells, { title: "T × λ", xTitle: "T", yTitle: "λ" });
  assert.equal(spec.data.values.length, 4);
  assert.deepEqual(spec.data.values[1], { x: 4, y: 0.5, value: 0.96, label: null });
  const [rect, text] = spec.layer ?? [];
  assert.equal(markType(rect), "rect");
  assert.equal(markType(text), "text");
  assert.equal(field(rect.encoding?.x).type, "ordinal");
  assert.equal(field(rect.encoding?.x).title, "T");
  assert.equal(field(rect.encoding?.color).scale?.scheme, "blues");
  assert.deepEqual(text.encoding?.text, { field: "value", type: "quantitative", format: ".1%" });
  const color = text.encoding?.color;
  assert.ok(color && "condition" in color && "test" in color.condition);
  assert.equal(color.condition.test, `datum.value > ${(0.9 + 0.96) / 2}`);
});

Deno.test("softmaxTemperatureChart: one row per (T, class), grouped bars coloured by T", () => {
  const spec = softmaxTemperatureChart([2, 0], [4, 1], { classNames: ["cat", "dog"] });
  assert.equal(spec.data.values.length, 4);
  // Temperatures are sorted ascending.
  assert.equal(spec.data.values[0].T, "T = 1");
  assert.equal(spec.data.values[0].class, "cat");
  assert.ok(Math.abs(Number(spec.data.values[0].probability) - 1 / (1 + Math.exp(-2))) < 1e-12);
  assert.equal(spec.data.values[2].T, "T = 4");
  assert.equal(markType(spec), "bar");
  assert.equal(field(spec.encoding?.x).field, "class");
  assert.equal(spec.encoding?.xOffset?.field, "T");
  assert.deepEqual(field(spec.encoding?.color).sort, ["T = 1", "T = 4"]);
  assert.deepEqual(field(spec.encoding?.y).scale?.domain, [0, 1]);
});

Deno.test("confusionChart: row-normalised colour, counts printed, classes in given order", () => {
  const spec = confusionChart([[3, 1], [0, 4]], ["yes", "no"]);
  assert.equal(spec.data.values.length, 4);
  assert.deepEqual(spec.data.values[0], { x: "yes", y: "yes", value: 0.75, label: "3" });
  assert.deepEqual(spec.data.values[1], { x: "no", y: "yes", value: 0.25, label: "1" });
  const [rect, text] = spec.layer ?? [];
  assert.deepEqual(field(rect.encoding?.x).sort, ["yes", "no"]);
  assert.equal(field(rect.encoding?.x).title, "predicted");
  assert.equal(field(rect.encoding?.y).title, "true class");
  assert.deepEqual(text.encoding?.text, { field: "label", type: "nominal" });
  const raw = confusionChart([[3, 1], [0, 4]], ["yes", "no"], { normalize: false });
  assert.equal(raw.data.values[0].value, 3);
  assert.throws(() => confusionChart([[1]], ["a", "b"]), RangeError);
});

Deno.test("every chart compiles with vega-lite", () => {
  const specs = [
    historyChart(runs),
    barChart([{ label: "a", value: 0.5, error: 0.1 }]),
    heatmapChart([{ x: "a", y: "b", value: 1 }]),
    softmaxTemperatureChart([1, 0], [1, 2]),
    temperatureSliderChart([{ label: "a", logits: [1, 0] }]),
    heatmapChart([{ x: 1, y: 1, value: 0.5, sd: 0.01, seeds: 3, runs }]),
    confusionChart([[1, 0], [0, 1]], ["a", "b"]),
  ];
  for (const s of specs) {
    const vg = toVegaSpec(s) as { marks?: unknown[] };
    assert.ok(Array.isArray(vg.marks) && vg.marks.length > 0);
  }
});

Deno.test("renderSvg: an <svg> string containing the title and axis text", async () => {
  const svg = await renderSvg(barChart([{ label: "teacher", value: 0.9 }], { title: "My Title" }));
  assert.ok(svg.startsWith("<svg"), svg.slice(0, 40));
  assert.ok(svg.includes("My Title"));
  assert.ok(svg.includes("teacher"));
});

Deno.test("renderSvg: ids are prefixed per chart so inline SVGs don't clash in HTML", async () => {
  const a = await renderSvg(heatmapChart([{ x: 1, y: 1, value: 0 }, { x: 2, y: 1, value: 1 }]));
  const b = await renderSvg(heatmapChart([{ x: 1, y: 1, value: 5 }, { x: 2, y: 1, value: 9 }]));
  const ids = (s: string) => [...s.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(ids(a).length > 0, "the gradient legend should define an id");
  assert.equal(ids(a).filter((id) => ids(b).includes(id)).length, 0);
  for (const m of a.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids(a).includes(m[1]));
  const plain = '<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>';
  const fixed = uniquifySvgIds(plain);
  const id = fixed.match(/id="([^"]+)"/)?.[1];
  assert.ok(id?.endsWith("-clip1"));
  assert.ok(fixed.includes(`url(#${id})`));
  assert.equal(uniquifySvgIds(plain), fixed, "deterministic");
});

Deno.test("renderPng: PNG signature, size follows scale", async () => {
  const spec = barChart([{ label: "a", value: 1 }], { width: 200, height: 100 });
  const png = await renderPng(spec);
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
  const png2 = await renderPng(spec, { scale: 2 });
  assert.equal(new DataView(png2.buffer, png2.byteOffset).getUint32(16), width * 2);
});

Deno.test("chartBundle: vega-lite, SVG, base64 PNG and text table in one bundle", async () => {
  const spec = barChart([{ label: "a", value: 0.5 }], { title: "T" });
  const bundle = await chartBundle(spec, { title: "Renamed" });
  assert.deepEqual(
    Object.keys(bundle).sort(),
    [
      VEGA_LITE_MIME,
      "image/png",
      "image/svg+xml",
      "text/plain",
    ].sort(),
  );
  assert.equal((bundle[VEGA_LITE_MIME] as ChartSpec).title, "Renamed");
  assert.equal((bundle[VEGA_LITE_MIME] as ChartSpec).$schema, VEGA_LITE_SCHEMA);
  assert.ok(String(bundle["image/svg+xml"]).includes("Renamed"));
  const png = Uint8Array.from(atob(String(bundle["image/png"])), (c) => c.charCodeAt(0));
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  assert.ok(String(bundle["text/plain"]).startsWith("Renamed\nlabel"));
});

Deno.test("text renderings: summary line and data table", () => {
  const spec = barChart([{ label: "a", value: 0.5, error: 0.1 }], { title: "Acc" });
  assert.equal(chartSummary(spec), "[chart] Acc (bar+rule+text, 1 row)");
  assert.equal(
    chartText(spec),
    [
      "Acc",
      "label  group  value  error   lo   hi",
      "-----  -----  -----  -----  ---  ---",
      "a               0.5    0.1  0.4  0.6",
    ].join("\n"),
  );
  assert.equal(
    formatTable([{ a: 1 }, { a: 2 }, { a: 3 }], ["a"], 2).split("\n").at(-1),
    "… 1 more rows",
  );
});

Deno.test("showChart outside a kernel prints exactly one summary line", async () => {
  assert.equal(inJupyterKernel(), false);
  const lines = await printedLines(() =>
    showChart(historyChart(runs), { title: "Teacher vs student" })
  );
  assert.deepEqual(lines, ["[chart] Teacher vs student (line+point, 8 rows)"]);
});

Deno.test("showTable outside a kernel prints the text table; HTML escapes cells", async () => {
  const rows = [{ model: "<b>t</b>", acc: 0.98123 }];
  const lines = await printedLines(() => showTable(rows, ["model", "acc"], { title: "R" }));
  assert.deepEqual(lines, ["R\nmodel        acc\n--------  ------\n<b>t</b>  0.9812"]);
  const html = String(tableBundle(rows)["text/html"]);
  assert.ok(html.includes("&lt;b&gt;t&lt;/b&gt;"));
  assert.ok(html.includes("text-align:right"));
});

Deno.test("progressBar outside a kernel: one line per completed epoch, then done", async () => {
  let t = 0;
  const bar = progressBar("train", { now: () => t, kernel: false, width: 10 });
  const lines = await printedLines(async () => {
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let batch = 1; batch <= 4; batch++) {
        t += 500;
        await bar.update({ epoch, epochs: 2, batch, batches: 4, loss: 0.5, imagesPerSec: 100 });
      }
    }
    await bar.done("acc 97%");
  });
  assert.deepEqual(lines, [
    "train [#####-----]  50%  epoch 1/2 · batch 4/4 · loss 0.5000 · 100 img/s · ETA 0:02",
    "train [##########] 100%  epoch 2/2 · batch 4/4 · loss 0.5000 · 100 img/s · ETA 0:00",
    "train [##########] 100%  epoch 2/2 · batch 4/4 · loss 0.5000 · 100 img/s · done in 0:04 · acc 97%",
  ]);
});

Deno.test("progress helpers", () => {
  assert.equal(progressFraction({ epoch: 2, epochs: 4, batch: 5, batches: 10 }), 0.375);
  assert.equal(progressFraction({ epoch: 1, epochs: 4 }), 0.25);
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3725), "1:02:05");
});

/**
 * Runs a chart's compiled vega spec headless (as a renderer would) and returns the rows of its
 * fullest dataset that carries `field`, i.e. the data after the chart's own transforms.
 */
async function chartRows(
  spec: ChartSpec,
  field: string,
  signals: Record<string, number> = {},
): Promise<Record<string, unknown>[]> {
  const vg = toVegaSpec(spec) as { data?: { name: string }[] };
  const view = new vega.View(vega.parse(vg), { renderer: "none" });
  try {
    for (const [name, value] of Object.entries(signals)) view.signal(name, value);
    await view.runAsync();
    const sets = (vg.data ?? []).map((d) => view.data(d.name) as Record<string, unknown>[])
      .filter((rows) => rows.length > 0 && rows.every((r) => field in r));
    assert.ok(sets.length > 0, `no dataset of the chart has the field ${field}`);
    return sets.reduce((a, b) => (b.length > a.length ? b : a));
  } finally {
    view.finalize();
  }
}

Deno.test("temperatureSliderChart: T on a slider, the softmax recomputed in the chart", async () => {
  const examples = [
    { label: "image 0 (label 7)", logits: [3, 1, 0] },
    { label: "image 1 (label 2)", logits: [0, 2, 5] },
  ];
  const spec = temperatureSliderChart(examples, { temperature: 2, min: 1, max: 10, step: 1 });
  assert.deepEqual(spec.params, [{
    name: TEMPERATURE_PARAM,
    value: 2,
    bind: { input: "range", min: 1, max: 10, step: 1, name: "temperature T " },
  }]);
  // vega-embed's tooltip renders a field named "image" as <img src=value>: none may have it.
  assert.equal(JSON.stringify(spec).includes('"image"'), false);
  // Raw logits only: probabilities are the chart's own work, so the slider needs no kernel.
  assert.deepEqual(spec.data.values[4], {
    example: "image 1 (label 2)",
    class: "1",
    classIndex: 1,
    logit: 2,
  });
  const probabilities = async (T: number, image: string) =>
    (await chartRows(spec, "probability", { [TEMPERATURE_PARAM]: T }))
      .filter((r) => r.example === image)
      .sort((a, b) => (a.classIndex as number) - (b.classIndex as number))
      .map((r) => r.probability as number);
  for (const T of [1, 2, 4, 10]) {
    for (const e of examples) {
      const inChart = await probabilities(T, e.label);
      softmax(e.logits, T).forEach((p, i) =>
        assert.ok(Math.abs(inChart[i] - p) < 1e-12, `T = ${T}, ${e.label}, class ${i}`)
      );
    }
  }
  // The quiz's answer, as the slider shows it: the top bar falls and the lowest rises with T.
  const [cold, hot] = [
    await probabilities(1, examples[0].label),
    await probabilities(10, examples[0].label),
  ];
  assert.ok(hot[0] < cold[0] && hot[2] > cold[2]);
  assert.throws(() => temperatureSliderChart([]), /no examples/);
  assert.throws(
    () => temperatureSliderChart([examples[0], { label: "short", logits: [1] }]),
    /"short" has 1 logits, the first has 3/,
  );
  assert.throws(
    () => temperatureSliderChart(examples, { temperature: 30 }),
    /min ≤ temperature ≤ max/,
  );
});

Deno.test("historyChart: a legend selection fades other runs; one hover shows the epoch's numbers", async () => {
  const spec = historyChart(runs);
  const [accuracy, loss] = spec.hconcat ?? [];
  const [lines, points] = accuracy.layer ?? [];
  assert.deepEqual(lines.params, [{
    name: RUN_SELECTION_PARAM,
    select: { type: "point", fields: ["run"] },
    bind: "legend",
  }]);
  for (const v of [lines, points, loss]) {
    assert.deepEqual(v.encoding?.opacity, {
      condition: { param: RUN_SELECTION_PARAM, value: 1 },
      value: 0.12,
    });
  }
  assert.deepEqual(
    (points.encoding?.tooltip ?? []).map((t) => t.field),
    ["run", "epoch", "train accuracy", "test accuracy", "loss"],
  );
  // Every row of (teacher, epoch 2), whichever metric it holds, carries all three numbers.
  const rows = (await chartRows(spec, "train accuracy"))
    .filter((r) => r.run === "teacher" && r.epoch === 2);
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.equal(r["train accuracy"], 0.95);
    assert.equal(r["test accuracy"], 0.93);
    assert.equal(r.loss, 0.2);
  }
  // The data table stays one row per value (the text rendering reads it).
  assert.equal(spec.data.values.length, 3 * 2 + 2);
});

Deno.test("heatmapChart: tooltips with spread and seeds; a clicked cell picks its curves", async () => {
  const cellRuns = (name: string, a: number) => [{
    name,
    history: [
      { epoch: 11, trainAccuracy: a, testAccuracy: a - 0.01, loss: 0.3 },
      { epoch: 12, trainAccuracy: a + 0.01, testAccuracy: a, loss: 0.2 },
    ],
  }];
  const cells = [
    { x: 1, y: 0.5, value: 0.95, sd: 0.002, seeds: 3, runs: cellRuns("seed 1", 0.94) },
    { x: 10, y: 0.5, value: 0.96, sd: 0.001, seeds: 3, runs: cellRuns("seed 1", 0.95) },
  ];
  const spec = heatmapChart(cells, { xTitle: "T", yTitle: "λ", format: ".2%" });
  const [heat, curves] = spec.vconcat ?? [];
  assert.ok(heat && curves, "with runs: the heatmap above its curves");
  const rect = heat.layer?.[0];
  assert.deepEqual(rect?.params, [{
    name: CELL_SELECTION_PARAM,
    select: { type: "point", fields: ["x", "y"] },
  }]);
  assert.deepEqual(
    (rect?.encoding?.tooltip ?? []).map((t) => [t.field, t.title]),
    [["x", "T"], ["y", "λ"], ["value", "value"], ["sd", "± sd"], ["seeds", "seeds"]],
  );
  // Nothing outlined and every curve grey until a click (that is the static picture).
  assert.deepEqual(rect?.encoding?.strokeWidth, {
    condition: { param: CELL_SELECTION_PARAM, value: 3, empty: false },
    value: 0,
  });
  assert.deepEqual(curves.encoding?.color, {
    condition: { param: CELL_SELECTION_PARAM, value: "#d62728", empty: false },
    value: "#bbbbbb",
  });
  const rows = spec.data.values;
  assert.equal(rows.filter((r) => r.kind === "cell").length, 2);
  assert.deepEqual(rows.filter((r) => r.kind === "curve")[1], {
    kind: "curve",
    x: 1,
    y: 0.5,
    run: "seed 1",
    epoch: 12,
    accuracy: 0.94,
  });
  const svg = await renderSvg(spec);
  assert.ok(svg.includes("click a cell above"));
  // Without runs or spread, the plain heatmap and its data are as before.
  const plain = heatmapChart([{ x: 1, y: 1, value: 0.5 }]);
  assert.equal(plain.vconcat, undefined);
  assert.deepEqual(plain.data.values, [{ x: 1, y: 1, value: 0.5, label: null }]);
});
