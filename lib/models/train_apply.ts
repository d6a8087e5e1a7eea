/**
 * A model's forward pass in training, layer by layer as tfjs-layers runs it, except that a
 * BatchNorm whose output only a plain ReLU layer reads runs with that ReLU as one op
 * (`BatchNorm.applyWithRelu`): on the native engine one pass over the activations less each way,
 * with the same numbers. The model's layers, weights and saved files stay as they are. A model
 * without such a pair, or with a graph this runner does not cover (a layer called more than once,
 * a nested model), runs through tfjs-layers' own `apply`.
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "./batch_norm.ts";

/** One layer call: the ids of the symbolic tensors it reads and writes. */
interface Step {
  layer: tf.layers.Layer;
  inputs: number[];
  outputs: number[];
  /** A BatchNorm run with the ReLU that alone reads it; `outputs` are the ReLU's. */
  withRelu: boolean;
}

interface Plan {
  inputs: number[];
  steps: Step[];
  outputs: number[];
}

/** Per model: its plan, or null where `apply` runs it. Layers do not change once a model is built. */
const plans = new WeakMap<tf.LayersModel, Plan | null>();

function isPlainRelu(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === "ReLU" && layer.getConfig().maxValue == null;
}

function planOf(model: tf.LayersModel): Plan | null {
  if (plans.has(model)) return plans.get(model)!;
  const plan = makePlan(model);
  plans.set(model, plan);
  return plan;
}

function makePlan(model: tf.LayersModel): Plan | null {
  const layers = model.layers;
  const covered = layers.every((l) =>
    l.inboundNodes.length === 1 && !(l instanceof tf.LayersModel)
  );
  if (!covered) return null;
  const readers = new Map<number, tf.layers.Layer[]>();
  for (const layer of layers) {
    for (const t of layer.inboundNodes[0].inputTensors) {
      readers.set(t.id, [...readers.get(t.id) ?? [], layer]);
    }
  }
  const modelOutputs = new Set(model.outputs.map((t) => t.id));
  const ids = (ts: tf.SymbolicTensor[]) => ts.map((t) => t.id);
  const fusedRelus = new Set<tf.layers.Layer>();
  const steps: Step[] = [];
  for (const layer of layers) {
    if (layer.getClassName() === "InputLayer" || fusedRelus.has(layer)) continue;
    const node = layer.inboundNodes[0];
    const out = node.outputTensors;
    const only = out.length === 1 && !modelOutputs.has(out[0].id) ? readers.get(out[0].id) : [];
    const relu = only?.length === 1 && isPlainRelu(only[0]) ? only[0] : undefined;
    if (layer instanceof BatchNorm && relu !== undefined) {
      fusedRelus.add(relu);
      const reluOut = relu.inboundNodes[0].outputTensors;
      steps.push({ layer, inputs: ids(node.inputTensors), outputs: ids(reluOut), withRelu: true });
    } else {
      steps.push({ layer, inputs: ids(node.inputTensors), outputs: ids(out), withRelu: false });
    }
  }
  if (fusedRelus.size === 0) return null;
  return { inputs: ids(model.inputs), steps, outputs: ids(model.outputs) };
}

/** `model.apply(x, { training: true })`, with each BatchNorm + ReLU pair as one op. */
export function applyTraining(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  const xs = Array.isArray(x) ? x : [x];
  const plan = planOf(model);
  if (plan === null) {
    const y = model.apply(xs.length === 1 ? xs[0] : xs, { training: true });
    return Array.isArray(y) ? y as tf.Tensor[] : [y as tf.Tensor];
  }
  if (xs.length !== plan.inputs.length) {
    throw new Error(`${model.name} takes ${plan.inputs.length} input(s), got ${xs.length}`);
  }
  return tf.tidy(() => {
    const values = new Map<number, tf.Tensor>();
    plan.inputs.forEach((id, i) => values.set(id, xs[i]));
    for (const step of plan.steps) {
      const ins = step.inputs.map((id) => values.get(id)!);
      const out = step.withRelu
        ? (step.layer as BatchNorm).applyWithRelu(ins[0], true)
        : step.layer.apply(ins, { training: true }) as tf.Tensor | tf.Tensor[];
      (Array.isArray(out) ? out : [out]).forEach((t, i) => values.set(step.outputs[i], t));
    }
    return plan.outputs.map((id) => values.get(id)!);
  });
}
