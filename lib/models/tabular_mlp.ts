/** Notebook 03: the 6-(10-10)-3 tanh teacher and the 6-8-3 student. */
import * as tf from "@tensorflow/tfjs";
import { dense } from "./blocks.ts";
import { layerSeeds } from "./init.ts";

export interface MlpOptions {
  /** Model name; distinct names let models nest, e.g. in an ensemble. */
  name?: string;
  inputs?: number;
  classes?: number;
  seed?: number;
}

function mlp(hidden: number[], defaultName: string, options: MlpOptions): tf.LayersModel {
  const { inputs = 6, classes = 3, seed = 0, name = defaultName } = options;
  // Xavier-uniform weights and zero biases, as the source sets explicitly.
  const ctx = { scheme: "xavier-zero" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: [inputs] });
  let x = input;
  for (const units of hidden) x = dense(ctx, x, units, "tanh");
  const logits = dense(ctx, x, classes, "linear", "logits");
  return tf.model({ inputs: input, outputs: logits, name });
}

/**
 * 6-(10-10)-3 with tanh hidden layers: 213 parameters. The source ends in
 * log-softmax + NLL; here the model returns logits and the loss applies
 * log-softmax, which is the same computation.
 */
export function tabularTeacher(options: MlpOptions = {}): tf.LayersModel {
  return mlp([10, 10], "tabular_teacher", options);
}

/** 6-8-3 with a tanh hidden layer and a linear output: 83 parameters. */
export function tabularStudent(options: MlpOptions = {}): tf.LayersModel {
  return mlp([8], "tabular_student", { seed: 1, ...options });
}
