import assert from "node:assert/strict";
import { renderSvg } from "../lib/charts/render.ts";
import { scatterChart } from "../lib/charts/scatter.ts";

const points = [
  { task: "MNIST", model: "teacher", format: "float32", kib: 1880, accuracy: 0.99 },
  { task: "MNIST", model: "student", format: "uint8", kib: 31, accuracy: 0.97 },
  { task: "CIFAR-10", model: "DeepNN", format: "float16", kib: 2320, accuracy: 0.72 },
];

Deno.test("scatterChart: one panel per task, log x, shapes in the given order", async () => {
  const spec = scatterChart(points, {
    title: "Accuracy against size",
    x: { field: "kib", title: "size (KiB)", log: true },
    y: { field: "accuracy", title: "test accuracy", format: ".1%" },
    color: { field: "model" },
    shape: { field: "format", sort: ["float32", "float16", "uint8"] },
    panels: { field: "task", values: ["MNIST", "CIFAR-10"] },
  });
  assert.equal(spec.hconcat?.length, 2);
  assert.deepEqual(spec.hconcat!.map((v) => v.transform), [
    [{ filter: "datum['task'] === 'MNIST'" }],
    [{ filter: "datum['task'] === 'CIFAR-10'" }],
  ]);
  const enc = spec.hconcat![0].encoding!;
  assert.deepEqual(enc.x, {
    field: "kib",
    type: "quantitative",
    title: "size (KiB)",
    axis: {},
    scale: { type: "log" },
  });
  assert.ok(enc.shape && "sort" in enc.shape);
  assert.deepEqual(enc.shape.sort, ["float32", "float16", "uint8"]);
  // Rendered by vega: two panels' titles and every point (3 symbols).
  const svg = await renderSvg(spec);
  assert.ok(svg.includes(">MNIST<") && svg.includes(">CIFAR-10<"), "panel titles");
  assert.equal(svg.match(/mark-symbol role-mark/g)?.length ?? 0, 2, "one symbol group each");
});

Deno.test("scatterChart without panels: one view, the axis from zero only when asked", () => {
  const spec = scatterChart(points, {
    x: { field: "kib", title: "KiB", zero: true },
    y: { field: "accuracy", title: "accuracy" },
    color: { field: "model", title: "model" },
  });
  assert.equal(spec.hconcat, undefined);
  assert.deepEqual(spec.encoding?.x && "scale" in spec.encoding.x && spec.encoding.x.scale, {
    zero: true,
  });
  assert.deepEqual(spec.data.values, points);
});
