/**
 * Whether an exported file computes what the tfjs model computes: both run on the same examples,
 * then the classes they pick and their largest logit difference are compared.
 */
import type { Dataset } from "../../data/dataset.ts";
import { accuracyOf, classesOf } from "../../distill/evaluate.ts";
import type { StoredOutput } from "../../distill/outputs.ts";
import { onnxPredict, type OnnxSession } from "./runtime.ts";

/** How two sets of logits for the same examples differ. */
export interface LogitAgreement {
  readonly examples: number;
  /** Examples given the same class by both. */
  readonly sameClass: number;
  /** The largest |a − b| over every logit of every example. */
  readonly maxAbsDiff: number;
}

/** Compares logits row by row; both must hold the same examples with the same classes. */
export function compareLogits(a: StoredOutput, b: StoredOutput): LogitAgreement {
  if (a.shape.join() !== b.shape.join() || a.values.length !== b.values.length) {
    throw new RangeError(
      `cannot compare ${a.values.length} logits of [${a.shape}] with ` +
        `${b.values.length} of [${b.shape}]`,
    );
  }
  let maxAbsDiff = 0;
  a.values.forEach((v, i) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - b.values[i]))));
  const [ca, cb] = [classesOf(a), classesOf(b)];
  return { examples: ca.length, sameClass: ca.filter((c, i) => c === cb[i]).length, maxAbsDiff };
}

/** An ONNX file's logits against tfjs's on one dataset, and its accuracy there. */
export interface OnnxAgreement extends LogitAgreement {
  readonly onnxAccuracy: number;
}

/**
 * Runs `session` on every example of `data` and compares its logits with `tfjsLogits`, the tfjs
 * model's for the same examples (`predictOutputs(model, data).logits`, computed once for any
 * number of files).
 */
export async function compareWithOnnx(
  tfjsLogits: StoredOutput,
  session: OnnxSession,
  data: Dataset,
): Promise<OnnxAgreement> {
  const onnx = await onnxPredict(session, data, { output: "logits" });
  return { ...compareLogits(tfjsLogits, onnx), onnxAccuracy: accuracyOf(classesOf(onnx), data.y) };
}
