/**
 * Seeded weight initialisers in the conventions the source lessons use, so a
 * model built twice with one seed has identical weights.
 */
import * as tf from "@tensorflow/tfjs";

/** A tfjs initializer (the type tfjs-layers does not export by name). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Which framework's default initialisation a model reproduces. */
export type InitScheme = "pytorch" | "keras" | "xavier-zero";

/** Derives one seed per layer from a model seed, so layers never share a stream. */
export function layerSeeds(seed: number): () => number {
  let i = 0;
  // A large odd multiplier spreads consecutive layer indices far apart.
  return () => ((seed * 1000003) ^ (++i * 2654435761)) >>> 0;
}

/** Kernel and bias initialisers of one layer with `fanIn` inputs per output. */
export function initializers(
  scheme: InitScheme,
  fanIn: number,
  nextSeed: () => number,
): { kernelInitializer: Initializer; biasInitializer: Initializer } {
  if (scheme === "pytorch") {
    // PyTorch's default (kaiming_uniform with a=√5) draws weights and biases
    // from U(−1/√fanIn, 1/√fanIn); variance scaling with scale 1/3 is that bound.
    const bound = 1 / Math.sqrt(fanIn);
    return {
      kernelInitializer: tf.initializers.varianceScaling({
        scale: 1 / 3,
        mode: "fanIn",
        distribution: "uniform",
        seed: nextSeed(),
      }),
      biasInitializer: tf.initializers.randomUniform({
        minval: -bound,
        maxval: bound,
        seed: nextSeed(),
      }),
    };
  }
  // Keras' default and notebook 03's explicit choice: Glorot (Xavier) uniform, zero bias.
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
    biasInitializer: tf.initializers.zeros(),
  };
}
