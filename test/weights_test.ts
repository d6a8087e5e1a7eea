import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { cifarLightNN, tabularStudent } from "../lib/models/mod.ts";
import { firstConvKernelNorm, largestWeightDifference } from "../lib/models/weights.ts";

Deno.test("firstConvKernelNorm: √(sum of squares) of the first Conv2D kernel", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 2, inputShape: [4, 4, 1] }),
      tf.layers.conv2d({ filters: 1, kernelSize: 2, kernelInitializer: "ones" }),
      tf.layers.conv2d({ filters: 1, kernelSize: 1, kernelInitializer: "zeros" }),
    ],
  });
  // 2 × 2 × 2 ones: the norm is √8.
  assert.ok(Math.abs(firstConvKernelNorm(model) - Math.sqrt(8)) < 1e-6);
  assert.throws(() => firstConvKernelNorm(tabularStudent({ seed: 1 })), /has no Conv2D layer/);
});

Deno.test("largestWeightDifference: 0 for one seed, more for another, refuses other shapes", () => {
  const a = cifarLightNN({ seed: 42 });
  assert.equal(largestWeightDifference(a, cifarLightNN({ seed: 42 })), 0);
  assert.ok(largestWeightDifference(a, cifarLightNN({ seed: 7 })) > 0.01);
  assert.throws(() => largestWeightDifference(a, tabularStudent({ seed: 1 })), {
    name: "RangeError",
    message: /have different weights: \[3,3,3,16\]/,
  });
});
