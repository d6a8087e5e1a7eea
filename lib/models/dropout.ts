/**
 * Dropout whose masks are reproducible but differ from step to step.
 *
 * tfjs' own Dropout layer, given a seed, draws the same mask on every call, and
 * without one it uses Math.random. This layer keeps a seeded stream and draws a
 * fresh seed for each training call.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng, type Rng } from "../random.ts";
import type { StatefulLayer } from "./stateful_layer.ts";

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

export class SeededDropout extends tf.layers.Layer implements StatefulLayer {
  static className = "SeededDropout";
  readonly rate: number;
  readonly seed: number;
  #rng: Rng;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`dropout rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
    this.#rng = createRng(args.seed);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return x.clone();
    return tf.dropout(x, this.rate, undefined, Math.floor(this.#rng.next() * 2 ** 31));
  }

  /** The stream's position, for checkpoints (see StatefulLayer). */
  rngState(): number {
    return this.#rng.state();
  }

  restoreRngState(state: number): void {
    this.#rng = createRng(this.seed, state);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
