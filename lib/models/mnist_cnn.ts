/** Notebook 01: the MNIST CNN teacher and its one-convolution student. */
import * as tf from "@tensorflow/tfjs";
import { batchNorm, conv, dense, flattenChannelsFirst, maxPool, relu } from "./blocks.ts";
import { layerSeeds } from "./init.ts";

export interface CnnOptions {
  /** Model name; distinct names let models nest, e.g. in an ensemble. */
  name?: string;
  /** One example's shape; `[28, 28, 1]` for MNIST, `[32, 32, 3]` for the CIFAR-10 exercise. */
  inputShape?: [number, number, number];
  classes?: number;
  seed?: number;
}

/**
 * Conv(16, 5×5)–BN–ReLU; Conv(16, 3×3)–BN–ReLU–MaxPool; Conv(32, 3×3)–BN–ReLU–MaxPool;
 * Linear(→300); Linear(300→10). No activation between the two linear layers, as in
 * the source. 481,214 trainable parameters on MNIST.
 */
export function mnistTeacher(options: CnnOptions = {}): tf.LayersModel {
  const { inputShape = [28, 28, 1], classes = 10, seed = 0, name } = options;
  const ctx = { scheme: "pytorch" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: inputShape });
  let x = relu(batchNorm(conv(ctx, input, 16, 5)));
  x = maxPool(relu(batchNorm(conv(ctx, x, 16, 3))));
  x = maxPool(relu(batchNorm(conv(ctx, x, 32, 3))));
  x = dense(ctx, flattenChannelsFirst(x), 300);
  const logits = dense(ctx, x, classes, "linear", "logits");
  return tf.model({ inputs: input, outputs: logits, name: name ?? "mnist_teacher" });
}

/**
 * Conv(16, 3×3)–BN–ReLU–MaxPool; Linear(14·14·16 → 10). 31,562 trainable parameters
 * on MNIST: about 1/15 of the teacher.
 */
export function mnistStudent(options: CnnOptions = {}): tf.LayersModel {
  const { inputShape = [28, 28, 1], classes = 10, seed = 1, name } = options;
  const ctx = { scheme: "pytorch" as const, nextSeed: layerSeeds(seed) };
  const input = tf.input({ shape: inputShape });
  const x = maxPool(relu(batchNorm(conv(ctx, input, 16, 3))));
  const logits = dense(ctx, flattenChannelsFirst(x), classes, "linear", "logits");
  return tf.model({ inputs: input, outputs: logits, name: name ?? "mnist_student" });
}
