/**
 * Where a shipped teacher came from, as a notebook shows it before using it:
 * its manifest as a table and its training curve from the manifest's history;
 * then its accuracy measured again beside the manifest's.
 */
import type * as tf from "@tensorflow/tfjs";
import { historyChart } from "../charts/history.ts";
import type { Dataset } from "../data/dataset.ts";
import { evaluateAccuracy } from "../distill/evaluate.ts";
import type { LoadedTeacher, TeacherManifest } from "./shipped.ts";
import { formatDuration, percent, showChart, showTable } from "../notebook/display.ts";

/** A type alias, not an interface, so it fits showTable's row records. */
export type TeacherCardRow = { readonly item: string; readonly value: string };

const count = (n: number) => n.toLocaleString("en");

/** The manifest's facts a learner needs to trust (or retrain) the teacher, one row each. */
export function teacherCardRows(m: TeacherManifest): TeacherCardRow[] {
  const r = m.recipe;
  const sittings = m.sittings.length;
  return [
    { item: "model", value: `${r.model}, ${count(m.architecture.parameters)} parameters` },
    {
      item: "recipe",
      value: `${r.epochs} epochs on ${count(m.data.trainImages)} images, batch ${r.batchSize}, ` +
        `${m.optimizer.className} ${m.optimizer.learningRate}, ${r.loss}, shuffle seed ${r.shuffleSeed}` +
        (m.fullRecipe ? "" : " (a reduced run, not the lesson's full recipe)"),
    },
    { item: "data", value: m.data.source },
    {
      item: "archive",
      value: `${m.data.archive.file}, ${m.data.archive.algorithm} ${
        m.data.archive.digest.slice(0, 16)
      }…`,
    },
    {
      item: "test accuracy",
      value: `${percent(m.testAccuracy)} on ${count(m.data.testImages)} test images`,
    },
    {
      item: "trained",
      value: `${m.date.slice(0, 10)}, ${formatDuration(m.wallSeconds)} wall time in ${sittings} ` +
        `sitting${sittings === 1 ? "" : "s"}, on ${m.cpu}`,
    },
    { item: "engine", value: m.engine.replace(/^backend: /, "") },
    {
      item: "weights",
      value: `weights.bin, sha256 ${m.files["weights.bin"].sha256.slice(0, 16)}…`,
    },
    { item: "retrain", value: `deno task train-teachers ${m.name}` },
  ];
}

/** The teacher's card (table) and its per-epoch training curve. */
export async function showShippedTeacher(teacher: LoadedTeacher): Promise<void> {
  const m = teacher.manifest;
  await showTable(
    teacherCardRows(m),
    [{ key: "item", label: "" }, { key: "value", label: m.name }],
    {
      title: `The shipped teacher data/teachers/${m.name}/ (from its manifest)`,
    },
  );
  await showChart(historyChart([{ name: m.name, history: [...m.history] }], {
    title: `How the shipped ${m.name} trained (train solid, test dashed)`,
  }));
}

/** A type alias, not an interface, so it fits showTable's row records. */
export type TeacherCheckRow = { readonly where: string; readonly accuracy: string };

/** An accuracy published elsewhere, shown for comparison (e.g. the tutorial's). */
export interface ReferenceAccuracy {
  readonly where: string;
  /** A fraction in [0, 1]. */
  readonly accuracy: number;
}

export interface TeacherCheckOptions {
  /** The shipped teacher whose manifest's accuracy the measurement is read against. */
  readonly shipped?: LoadedTeacher;
  /** Published figures shown below the measurement. */
  readonly references?: readonly ReferenceAccuracy[];
}

/** The manifest's accuracy (if shipped), the one measured now, then the references. */
export function teacherCheckRows(
  measured: number,
  options: TeacherCheckOptions = {},
): TeacherCheckRow[] {
  const m = options.shipped?.manifest;
  return [
    ...(m
      ? [{ where: "its manifest (when it was trained)", accuracy: percent(m.testAccuracy) }]
      : []),
    { where: "evaluated here, now", accuracy: percent(measured) },
    ...(options.references ?? []).map((r) => ({ where: r.where, accuracy: percent(r.accuracy) })),
  ];
}

/**
 * Measures the teacher on `test` and shows that beside its manifest's figure, so a learner sees
 * the shipped weights do here what they did where they were trained. Returns the accuracy.
 */
export async function showTeacherCheck(
  teacher: tf.LayersModel,
  test: Dataset,
  title: string,
  options: TeacherCheckOptions = {},
): Promise<number> {
  const measured = evaluateAccuracy(teacher, test);
  await showTable(
    teacherCheckRows(measured, options),
    [
      { key: "where", label: `teacher test accuracy on ${count(test.size)} images` },
      { key: "accuracy" },
    ],
    { title },
  );
  return measured;
}
