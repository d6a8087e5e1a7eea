/** Shape helpers for the library's own layers. */
import * as tf from "@tensorflow/tfjs";

/** A layer's weight variable (the type tfjs-layers does not export by name). */
export type LayerVariable = ReturnType<tf.layers.Layer["addWeight"]>;

/** The shape of a layer's (first) input. */
export function firstInputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/** The size of the channel (last) axis; an error naming the layer when it is unknown. */
export function channelCount(inputShape: tf.Shape | tf.Shape[], layerName: string): number {
  const shape = firstInputShape(inputShape);
  const channels = shape[shape.length - 1];
  if (channels === null || channels === undefined) {
    throw new Error(`${layerName}: the channel axis (last) must have a known size`);
  }
  return channels;
}
