// Registered here too, so that tf.loadLayersModel and tf.models.modelFromJSON read our layers.
import "./custom_layers.ts";
export { countTrainableParams, type OutputKind } from "./blocks.ts";
export { BatchNorm, type BatchNormArgs } from "./batch_norm.ts";
export { SameConv2D, type SameConv2DArgs } from "./conv.ts";
export { SeededDropout } from "./dropout.ts";
export { type InitScheme } from "./init.ts";
export { type CnnOptions, mnistStudent, mnistTeacher } from "./mnist_cnn.ts";
export { type MlpOptions, tabularStudent, tabularTeacher } from "./tabular_mlp.ts";
export { type CifarCnnOptions, cifarDeepNN, cifarLightNN, hintRegressor } from "./cifar_cnn.ts";
export { kerasCnnTeacher, type KerasMnistOptions, mlpStudent } from "./keras_mnist.ts";
export { MeanProbabilityLogits, teacherEnsemble } from "./ensemble.ts";
export { firstConvKernelNorm, largestWeightDifference } from "./weights.ts";
