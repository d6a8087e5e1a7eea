/**
 * The one place that registers the library's custom layers with tfjs's serialization, so that a
 * saved model using any of them loads again. Model loading (lib/io/model_dir.ts) imports this
 * module itself: loading must not depend on which models happened to be built first.
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "./batch_norm.ts";
import { SameConv2D } from "./conv.ts";
import { SeededDropout } from "./dropout.ts";
import { MeanProbabilityLogits } from "./ensemble.ts";

/** Every layer class defined in lib/models (a test keeps this list complete). */
export const CUSTOM_LAYERS = [BatchNorm, SameConv2D, SeededDropout, MeanProbabilityLogits] as const;

for (const layer of CUSTOM_LAYERS) tf.serialization.registerClass(layer);
