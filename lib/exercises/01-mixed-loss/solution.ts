/** A solution of exercise 01-mixed-loss: α · CE + (1 − α) · MSE(logits, softmax(teacher / T)). */
import * as tf from "@tensorflow/tfjs";
import { crossEntropy, meanSquaredError, softTargets } from "../../distill/losses.ts";
import type { MixedLossFn } from "./mod.ts";

export const solution =
  (): MixedLossFn => (studentLogits, teacherLogits, labels, alpha, temperature) =>
    tf.tidy(() =>
      tf.add(
        tf.mul(alpha, crossEntropy(studentLogits, labels)),
        tf.mul(1 - alpha, meanSquaredError(studentLogits, softTargets(teacherLogits, temperature))),
      )
    );
