/** A solution of exercise 02-cifar-training: the student built for CIFAR-10's images. */
import type * as tf from "@tensorflow/tfjs";
import { mnistStudent } from "../../models/mnist_cnn.ts";

export const solution = (): tf.LayersModel => mnistStudent({ inputShape: [32, 32, 3], seed: 1 });
