/**
 * What every lesson notebook does around its lesson: say how it was run, train
 * with a live progress display, and format results.
 */
import { type BackendChoice, describeBackend } from "../backend.ts";
import type { Dataset } from "../data/dataset.ts";
import { fit, type FitOptions, type FitResult } from "../distill/fit.ts";
import { percent, progressBar, showTable } from "./display.ts";
import { profileName } from "./profile.ts";

/** The run's backend, profile and data, so every output says what produced it. */
export async function showRunInfo(backend: BackendChoice, datasets: Dataset[]): Promise<void> {
  const rows = [
    { item: "backend", value: describeBackend(backend).replace(/^backend: /, "") },
    { item: "profile", value: `${profileName()} (KD_PROFILE)` },
    { item: "Deno", value: `${Deno.version.deno} on ${Deno.build.os}/${Deno.build.arch}` },
    ...datasets.map((d) => ({
      item: `data: ${d.name}`,
      value: `${d.size.toLocaleString("en")} examples of [${d.shape}] — ${d.source}`,
    })),
  ];
  await showTable(rows, [{ key: "item", label: "" }, { key: "value", label: "this run" }], {
    title: "How these outputs were produced",
  });
}

/** `fit` with a progress bar that updates in place (epoch, batch, loss, img/s, ETA). */
export async function fitWithProgress(label: string, options: FitOptions): Promise<FitResult> {
  const bar = progressBar(label);
  const result = await fit({
    ...options,
    callbacks: {
      onBatchEnd: async (p) => {
        await bar.update({
          epoch: p.epoch,
          epochs: p.epochs,
          batch: p.batch,
          batches: p.batches,
          loss: p.loss,
          imagesPerSec: p.imagesPerSecond,
        });
        await options.callbacks?.onBatchEnd?.(p);
      },
      onEpochEnd: options.callbacks?.onEpochEnd,
    },
  });
  const last = result.history[result.history.length - 1];
  const test = Number.isFinite(result.finalTestAccuracy)
    ? `, test accuracy ${percent(result.finalTestAccuracy)}`
    : "";
  await bar.done(
    `loss ${last.loss.toFixed(4)}, train accuracy ${percent(last.trainAccuracy)}${test}, ` +
      `${last.imagesPerSecond.toFixed(0)} img/s`,
  );
  return result;
}

/** The lines a training log prints: each evaluated epoch's loss and accuracies. */
export async function showTrainingLog(history: FitResult["history"], title: string) {
  await showTable(
    history.filter((r) => r.testAccuracy !== undefined).map((r) => ({
      epoch: r.epoch,
      "mean batch loss": r.loss.toFixed(4),
      "train accuracy": percent(r.trainAccuracy),
      "test accuracy": percent(r.testAccuracy!),
    })),
    undefined,
    { title },
  );
}
