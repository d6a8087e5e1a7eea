/**
 * A teacher ensemble as one model: the teachers' softmax outputs averaged, as
 * MEAL V2 does, returned as the log of that mean so it can stand wherever a
 * teacher's logits do (softmax of it gives back the averaged probabilities).
 */
import * as tf from "@tensorflow/tfjs";

/** log(mean_i softmax(x_i)) over its inputs, computed stably with logSumExp. */
export class MeanProbabilityLogits extends tf.layers.Layer {
  static className = "MeanProbabilityLogits";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return Array.isArray(inputShape[0]) ? inputShape[0] as tf.Shape : inputShape as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      const logProbs = tf.stack(list.map((x) => tf.logSoftmax(x)));
      return tf.sub(tf.logSumExp(logProbs, 0), Math.log(list.length));
    });
  }
}

/** One model whose `logits` are the log of the teachers' mean probabilities. */
export function teacherEnsemble(teachers: readonly tf.LayersModel[]): tf.LayersModel {
  if (teachers.length < 1) throw new RangeError("an ensemble needs at least one teacher");
  const shape = teachers[0].inputs[0].shape.slice(1) as number[];
  for (const t of teachers) {
    const s = t.inputs[0].shape.slice(1);
    if (s.join() !== shape.join()) {
      throw new RangeError(
        `teacher ${t.name} takes inputs [${s}], but ${teachers[0].name} takes [${shape}]; ` +
          `an ensemble's teachers must share one input shape`,
      );
    }
  }
  const input = tf.input({ shape });
  const logits = teachers.map((t) => {
    const y = t.apply(input);
    return (Array.isArray(y) ? y[0] : y) as tf.SymbolicTensor;
  });
  const mean = new MeanProbabilityLogits({ name: "logits" }).apply(
    logits.length === 1 ? logits[0] : logits,
  ) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: mean, name: "teacher_ensemble" });
}
