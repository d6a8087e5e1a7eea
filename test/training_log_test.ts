import assert from "node:assert/strict";
import { printedLines } from "./fixtures/printed.ts";
import { historyChart } from "../lib/charts/history.ts";
import { tableBundle } from "../lib/notebook/display.ts";
import { showTrainingLog } from "../lib/notebook/lesson.ts";

const record = (epoch: number, testAccuracy?: number) => ({
  epoch,
  loss: 1 / epoch,
  parts: {},
  trainAccuracy: 0.5 + epoch / 1000,
  testAccuracy,
  seconds: 1,
  imagesPerSecond: 100,
});
// 400 epochs, evaluated every 150 and after the last.
const history = Array.from(
  { length: 400 },
  (_, i) => record(i + 1, (i + 1) % 150 === 0 || i === 399 ? 0.4 + i / 1000 : undefined),
);

Deno.test("showTrainingLog prints the evaluated epochs only, as the log lines would", async () => {
  const lines = await printedLines(() => showTrainingLog(history, "Teacher log"));
  assert.deepEqual(lines[0].split("\n").map((l) => l.replace(/ +/g, " ")), [
    "Teacher log",
    "epoch mean batch loss train accuracy test accuracy",
    "----- --------------- -------------- -------------",
    " 150 0.0067 65.00 % 54.90 %",
    " 300 0.0033 80.00 % 69.90 %",
    " 400 0.0025 90.00 % 79.90 %",
  ]);
});

Deno.test("historyChart maxPoints keeps epoch 1, every k-th and every evaluated epoch", () => {
  const epochs = (spec: ReturnType<typeof historyChart>) => [
    ...new Set(spec.data.values.map((d) => d.epoch as number)),
  ];
  assert.equal(epochs(historyChart([{ name: "t", history }])).length, 400);
  // k = round(400 / 100) = 4: epochs 1, 4, 8, …, 400 (100 of them), plus 150 (not a multiple).
  const kept = epochs(historyChart([{ name: "t", history }], { maxPoints: 100 }));
  assert.equal(kept.length, 102);
  assert.deepEqual(kept.slice(0, 3), [1, 4, 8]);
  assert.ok(kept.includes(150) && kept.includes(300) && kept.includes(400));
});

Deno.test("tableBundle shows percentColumns as percentages, other numbers as they are", () => {
  const { "text/plain": text } = tableBundle(
    [{ model: "a", parameters: 213, accuracy: 0.7751 }],
    undefined,
    { percentColumns: ["accuracy"] },
  );
  assert.match(text as string, /a +213 +77\.51 %/);
});
