/**
 * lib/mod.ts is a curated list: this test names every export, so adding one (or leaking an
 * internal) is a decision made here, and checks that each has its one-line doc.
 */
import assert from "node:assert/strict";

const ENTRY = new URL("../lib/mod.ts", import.meta.url);

const EXPECTED = [
  // setting up the run
  "tf",
  "BackendChoice",
  "BackendName",
  "backendLabel",
  "describeBackend",
  "ensureBackend",
  "byProfile",
  "profileName",
  "ProfileName",
  "percent",
  "showRunInfo",
  // data
  "channelStats",
  "Dataset",
  "normalized",
  "Normalization",
  "select",
  "subset",
  "toTensors",
  "loadMnist",
  "MNIST_UNIT_SCALE",
  "IMAGENET_NORMALIZATION",
  "loadCifar10",
  "decodePerson",
  "formatPeopleTsv",
  "loadPeople",
  "loadPeopleTsv",
  "PEOPLE_CLASSES",
  "PEOPLE_FEATURES",
  "PEOPLE_STATES",
  "Person",
  "syntheticPeople",
  // models
  "cifarDeepNN",
  "cifarLightNN",
  "hintRegressor",
  "firstConvKernelNorm",
  "largestWeightDifference",
  "countTrainableParams",
  "mlpStudent",
  "kerasCnnTeacher",
  "mnistStudent",
  "mnistTeacher",
  "OutputKind",
  "tabularTeacher",
  "tabularStudent",
  "teacherEnsemble",
  // losses and loss terms
  "cosineEmbedding",
  "crossEntropy",
  "klDistillation",
  "meanSquaredError",
  "softCrossEntropy",
  "softTargets",
  "logSoftmax",
  "softmax",
  "cosineHidden",
  "hardLabels",
  "hintRegression",
  "klDivergence",
  "logitsToSoftTargetsMse",
  "LossTerm",
  "softTargetCrossEntropy",
  "teacherLogSoftmaxMse",
  // training
  "BatchProgress",
  "defaultOptimizer",
  "EpochRecord",
  "fit",
  "StepResult",
  "trainStep",
  "FitOptions",
  "FitResult",
  "fitWithProgress",
  "showTrainingLog",
  "predictOutputs",
  "StoredOutput",
  // evaluation and statistics
  "accuracyOf",
  "confusionMatrix",
  "evaluateAccuracy",
  "predictClasses",
  "describeDifference",
  "Difference",
  "differenceFrom",
  "formatMeanSd",
  "formatPoints",
  "meanSd",
  "MeanSd",
  "overSeeds",
  "SeededRuns",
  // saving, and the shipped teachers
  "loadModel",
  "saveModel",
  "WeightFormat",
  "WEIGHT_FORMATS",
  // shipping: size, speed and ONNX
  "SavedSize",
  "savedSizes",
  "storedValues",
  "latencyBatch1",
  "throughput",
  "exportOnnx",
  "OnnxExportOptions",
  "OnnxFile",
  "loadOnnxRuntime",
  "onnxLatencyBatch1",
  "onnxPredict",
  "OnnxSession",
  "openOnnx",
  "compareRuntimes",
  "RuntimeRow",
  "showRuntimeComparison",
  "LoadedTeacher",
  "loadTeacher",
  "TeacherName",
  "ReferenceAccuracy",
  "showShippedTeacher",
  "showTeacherCheck",
  "readSeedSpread",
  "SeedSpread",
  "showTeacherSeedSpread",
  // charts and display
  "barChart",
  "confusionChart",
  "heatmapChart",
  "historyChart",
  "HistoryPoint",
  "softmaxTemperatureChart",
  "temperatureSliderChart",
  "scatterChart",
  "compareWithBaseline",
  "ComparedRow",
  "showComparison",
  "showChart",
  "showMarkdown",
  "librarySource",
  "showLibrarySource",
  "showTable",
  // exercises
  "answer",
  "checkAgreement",
  "checkBestSweepCell",
  "checkCifarModels",
  "checkCifarTraining",
  "checkCosineLoss",
  "checkEnsembleTarget",
  "checkFeaturePooling",
  "checkMixedLoss",
  "checkReloadedModel",
  "CheckResult",
  "checkSoftTargets",
  "checkTemperatureQuiz",
  "checkFloat16Size",
  "checkSmallestClose",
  "ShippedRow",
  "showResult",
  "todo",
];

/** Every name lib/mod.ts exports, types included, as `deno doc` sees them. */
async function exportedNames(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ENTRY.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const doc: { nodes: Record<string, { symbols: { name: string }[] }> } = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  return Object.values(doc.nodes).flatMap((n) => n.symbols.map((s) => s.name));
}

Deno.test("lib/mod.ts exports exactly the curated names", async () => {
  const names = await exportedNames();
  const sort = (a: string[]) => [...a].sort();
  assert.deepEqual(sort(names), sort(EXPECTED));
  assert.equal(new Set(EXPECTED).size, EXPECTED.length, "a name is listed twice");
});

Deno.test("no internal or answer key leaks into the entry", async () => {
  const names = new Set(await exportedNames());
  for (
    const internal of [
      "exists",
      "tempSibling",
      "writeFileAtomic",
      "readSetting",
      "solution",
      "SOLUTIONS",
      "SKELETONS",
      "EXERCISES",
      "registerWasmTrainingKernels",
    ]
  ) {
    assert.equal(names.has(internal), false, internal);
  }
});

Deno.test("every export in lib/mod.ts has its one-line doc", async () => {
  const lines = (await Deno.readTextFile(ENTRY)).split("\n");
  const undocumented: string[] = [];
  lines.forEach((line, i) => {
    const specifier = line.match(/^ {2}(?:type )?(\w+),$/);
    const star = line.match(/^export \* as (\w+) from/);
    const name = specifier?.[1] ?? star?.[1];
    if (name && !/^\s*\/\*\* .+ \*\/$/.test(lines[i - 1])) undocumented.push(name);
  });
  assert.deepEqual(undocumented, []);
});
