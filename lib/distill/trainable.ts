/**
 * Whether the active backend can train a model, asked layer by layer before the first step. A
 * backend that lacks a gradient kernel (depthwise convolutions on wasm, say) otherwise fails at the
 * first batch with a message from deep inside tfjs that names the kernel but not the layer.
 */
import * as tf from "@tensorflow/tfjs";
import { message } from "../errors.ts";

/** Layers already probed, per backend: a model trained again is not probed again. */
const probed = new WeakMap<tf.layers.Layer, Set<string>>();

function shapeOf(t: tf.SymbolicTensor): number[] {
  // Batch of 2, so batch statistics are defined; a free dimension gets size 1.
  return t.shape.map((d, i) => (i === 0 ? 2 : d ?? 1));
}

/** The layer's inputs, or undefined when there is not exactly one way it is called. */
function inputsOf(layer: tf.layers.Layer): tf.SymbolicTensor[] | undefined {
  try {
    const input = layer.input;
    return Array.isArray(input) ? input : [input];
  } catch {
    return undefined; // a layer shared by several calls: its shapes are ambiguous
  }
}

/** True when the layer reads another layer's output, so training needs its input gradient. */
function readsAnotherLayer(layer: tf.layers.Layer): boolean {
  const node = layer.inboundNodes[0];
  return node !== undefined &&
    node.inboundLayers.some((l) => l.getClassName() !== "InputLayer");
}

/** The part of tfjs's engine state that a failed backward pass leaves behind. */
interface EngineTape {
  state: { activeTape: { saved?: tf.Tensor[] }[] | null; gradientDepth: number };
}

/**
 * tfjs frees the tensors its gradient tape saved (clones it keeps) only when the backward pass
 * succeeds; after a kernel threw it keeps them. This frees them as tfjs itself would.
 */
function dropFailedTape(): void {
  const { state } = tf.engine() as unknown as EngineTape;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** The first failure of `layer`'s forward pass or gradients, or undefined when all run. */
function probe(layer: tf.layers.Layer): string | undefined {
  const inputs = inputsOf(layer);
  if (!inputs) return undefined;
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const needsInputGradient = readsAnotherLayer(layer);
  if (weights.length === 0 && !needsInputGradient) return undefined;
  try {
    tf.tidy(() => {
      const xs = inputs.map((s) => tf.ones(shapeOf(s)));
      // Inference mode: training mode would move batch-norm statistics and dropout streams.
      const out = (...x: tf.Tensor[]) => {
        // Applied to tensors (not symbolic ones), a layer returns tensors.
        const y = layer.apply(x.length === 1 ? x[0] : x, { training: false }) as
          | tf.Tensor
          | tf.Tensor[];
        return tf.addN((Array.isArray(y) ? y : [y]).map((t) => tf.sum(t)));
      };
      if (weights.length) tf.variableGrads(() => out(...xs) as tf.Scalar, weights);
      if (needsInputGradient) tf.grads(out)(xs);
    });
    return undefined;
  } catch (e) {
    dropFailedTape();
    return message(e);
  }
}

function layersOf(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((l) => (l instanceof tf.LayersModel ? layersOf(l) : [l]));
}

/**
 * Throws, naming the first layer of `models` whose forward pass or gradient the active backend
 * cannot compute, with tfjs's reason and what to do instead. Runs each layer once on a batch of
 * two in inference mode (no state of the model changes).
 */
export function checkTrainable(models: readonly tf.LayersModel[]): void {
  const backend = tf.getBackend();
  for (const model of models) {
    for (const layer of layersOf(model)) {
      const seen = probed.get(layer) ?? new Set<string>();
      if (seen.has(backend)) continue;
      const problem = probe(layer);
      if (problem !== undefined) {
        throw new Error(
          `layer "${layer.name}" (${layer.getClassName()}) of model "${model.name}" cannot be ` +
            `trained on the ${backend} backend: ${problem}. Replace the layer (e.g. a Conv2D ` +
            `for a depthwise convolution), or choose a backend that has its gradient ` +
            `(KD_BACKEND=cpu has all of them, slowly)`,
        );
      }
      seen.add(backend);
      probed.set(layer, seen);
    }
  }
}
