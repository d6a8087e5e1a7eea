/**
 * Adam whose step is one kernel call for all the variables where the engine has
 * the fused step (engine/ops/adam_step.ts) instead of about twelve per variable,
 * with bit-identical results. State, saving, loading and serialisation are tfjs's AdamOptimizer's,
 * so checkpoints and `getWeights` are unchanged; on other backends, or for
 * non-float32 variables, the stock step runs.
 */
import * as tf from "@tensorflow/tfjs";
import { type AdamScalars, adamSteps, type AdamTensors, hasFusedAdamStep } from "../backend.ts";
import { type AdamMoment, adamState } from "./adam_state.ts";

/** What `applyGradients` receives: gradients by variable name, as a map or a list. */
type VariableGradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const gradientOf = (name: string, i: number): tf.Tensor | undefined =>
      Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
    const variables = tf.engine().registeredVariables;
    const fusable = hasFusedAdamStep() &&
      names.every((n, i) =>
        variables[n].dtype === "float32" && (gradientOf(n, i)?.dtype ?? "float32") === "float32"
      );
    if (!fusable) return super.applyGradients(variableGradients);

    const state = adamState(this);
    const scalars: AdamScalars = {
      beta1: state.beta1,
      beta2: state.beta2,
      learningRate: state.learningRate,
      epsilon: state.epsilon,
      correction1: 1 - state.accBeta1.dataSync()[0],
      correction2: 1 - state.accBeta2.dataSync()[0],
    };
    tf.tidy(() => {
      const steps: (AdamTensors & { value: tf.Variable; m: tf.Variable; v: tf.Variable })[] = [];
      names.forEach((name, i) => {
        const value = variables[name];
        // Moments are created lazily, named as the stock optimizer names them.
        const moment = (list: AdamMoment[], suffix: string) =>
          list[i] ??= {
            originalName: `${name}/${suffix}`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
        const m = moment(state.accumulatedFirstMoment, "m").variable;
        const v = moment(state.accumulatedSecondMoment, "v").variable;
        const gradient = gradientOf(name, i);
        if (gradient !== undefined && gradient !== null) steps.push({ value, m, v, gradient });
      });
      adamSteps(steps, scalars).forEach(([newValue, newM, newV], i) => {
        steps[i].m.assign(newM);
        steps[i].v.assign(newV);
        steps[i].value.assign(newValue);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    this.incrementIterations();
  }
}
