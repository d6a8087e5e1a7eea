/** Notebook 05 (the Keras write-up): a small CNN teacher and a one-hidden-layer MLP student. */
import * as tf from "@tensorflow/tfjs";
import { conv, dense, maxPool } from "./blocks.ts";
import { layerSeeds } from "./init.ts";

export interface KerasMnistOptions {
  /** Model name; distinct names let models nest, e.g. in an ensemble. */
  name?: string;
  classes?: number;
  seed?: number;
}

/**
 * Conv(32)–ReLU–MaxPool–Conv(64)–ReLU–MaxPool–Conv(64)–ReLU–MaxPool–Flatten–
 * Dense(10): 61,514 parameters, Glorot-uniform weights and zero biases (Keras'
 * defaults). The source's final softmax lives in the loss here; the model
 * returns logits.
 */
export function kerasCnnTeacher(options: KerasMnistOptions = {}): tf.LayersModel {
  const { classes = 10, seed = 0, name } = options;
  const ctx = { scheme: "keras" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: [28, 28, 1] });
  let x = maxPool(conv(ctx, input, 32, 3, "relu"));
  x = maxPool(conv(ctx, x, 64, 3, "relu"));
  x = maxPool(conv(ctx, x, 64, 3, "relu"));
  const flat = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const logits = dense(ctx, flat, classes, "linear", "logits");
  return tf.model({ inputs: input, outputs: logits, name: name ?? "keras_cnn_teacher" });
}

/** Flatten–Dense(64, sigmoid)–Dense(10): 50,890 parameters. */
export function mlpStudent(options: KerasMnistOptions = {}): tf.LayersModel {
  const { classes = 10, seed = 1, name } = options;
  const ctx = { scheme: "keras" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: [28, 28, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const logits = dense(ctx, dense(ctx, flat, 64, "sigmoid"), classes, "linear", "logits");
  return tf.model({ inputs: input, outputs: logits, name: name ?? "mlp_student" });
}
