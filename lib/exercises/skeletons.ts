/**
 * The exercise cells as they ship in the notebooks: each answer is a skeleton
 * with a `// TODO` that fails its check with a helpful hint. `skeletonCells`
 * holds the source text for notebook authors to paste (with the imports and
 * the notebook variables it uses); `SKELETONS` holds the same skeletons as
 * values, so the tests can prove each one fails with its hint.
 */
import { mnistStudent, mnistTeacher } from "../models/mnist_cnn.ts";
import type { AnswerTypes, ExerciseId } from "./ids.ts";

/**
 * The placeholder of an unfinished answer: returns `placeholder` and ignores
 * the other arguments. Passing a skeleton's parameters through it keeps
 * `deno lint` quiet about unused parameters until the learner writes the code.
 */
export function todo<T>(placeholder: T, ..._unused: unknown[]): T {
  return placeholder;
}

/** The skeleton answers, as values (the same code as in `skeletonCells`). */
export const SKELETONS: { readonly [Id in ExerciseId]: () => AnswerTypes[Id] } = {
  "01-soft-targets": () => (logits, temperature) => todo(logits, temperature),
  "01-temperature-quiz": () => undefined,
  "01-mixed-loss": () => (studentLogits, teacherLogits, labels, alpha, temperature) =>
    todo(0, studentLogits, teacherLogits, labels, alpha, temperature),
  "02-cifar-models": () => ({
    teacher: mnistTeacher({ seed: 0 }),
    student: mnistStudent({ seed: 1 }),
  }),
  "02-cifar-training": () => mnistStudent({ seed: 1 }),
  "03-agreement": () => (teacherPred, studentPred) => todo(0, teacherPred, studentPred),
  "03-save-reload": () => (model, dir) => todo(model, dir),
  "04-cosine-loss": () => (a, b) => todo(0, a, b),
  "04-feature-pooling": () => (teacherFeatures) => todo(teacherFeatures),
  "05-best-sweep-cell": () => (cells) => todo({ temperature: NaN, lambda: NaN }, cells),
  "05-ensemble-target": () => (probsA, probsB) => todo(probsA, probsB),
};

/** One exercise cell for a notebook author. */
export interface SkeletonCell {
  /** Names the cell imports from `../lib/mod.ts` (add them to the notebook's import cell). */
  readonly imports: readonly string[];
  /** Notebook variables the cell reads, defined by earlier cells. */
  readonly needs: readonly string[];
  /** The cell's TypeScript source. */
  readonly source: string;
}

export const skeletonCells: Readonly<Record<ExerciseId, SkeletonCell>> = {
  "01-soft-targets": {
    imports: ["answer", "checkSoftTargets", "showResult", "todo"],
    needs: [],
    source: `// Exercise: soft targets. Write softmax(row / temperature) for every row of logits.
const mySoftTargets = answer("01-soft-targets", (logits, temperature) => {
  // TODO: divide each logit by the temperature, exponentiate, divide by the row's sum.
  return todo(logits, temperature);
});
await showResult(checkSoftTargets(mySoftTargets));
`,
  },
  "01-temperature-quiz": {
    imports: ["answer", "checkTemperatureQuiz", "showResult"],
    needs: [],
    source: `// Quiz: does a higher temperature make the output distribution "flatter", "sharper" or
// "unchanged"? Look at the chart above.
// TODO: replace undefined with your choice.
const temperatureQuiz = answer("01-temperature-quiz", undefined);
await showResult(checkTemperatureQuiz(temperatureQuiz));
`,
  },
  "01-mixed-loss": {
    imports: ["answer", "checkMixedLoss", "showResult", "todo"],
    needs: [],
    source: `// Exercise: the lesson's loss, on tensors. Helpers: crossEntropy, softTargets,
// meanSquaredError (from the library), tf.add and tf.mul.
const lessonLoss = answer(
  "01-mixed-loss",
  (studentLogits, teacherLogits, labels, alpha, temperature) => {
    // TODO: alpha · CE(studentLogits, labels)
    //       + (1 − alpha) · MSE(studentLogits, softmax(teacherLogits / temperature))
    return todo(0, studentLogits, teacherLogits, labels, alpha, temperature);
  },
);
await showResult(checkMixedLoss(lessonLoss));
`,
  },
  "02-cifar-models": {
    imports: ["answer", "checkCifarModels", "mnistStudent", "mnistTeacher", "showResult"],
    needs: [],
    source: `// Exercise: lesson A's teacher and student, rebuilt for CIFAR-10 images.
const cifarModels = answer("02-cifar-models", {
  // TODO: these are still the MNIST networks. What shape is one CIFAR-10 image?
  teacher: mnistTeacher({ seed: 0 }),
  student: mnistStudent({ seed: 1 }),
});
await showResult(checkCifarModels(cifarModels));
`,
  },
  "02-cifar-training": {
    imports: ["answer", "checkCifarTraining", "mnistStudent", "showResult"],
    needs: ["train", "test"],
    source:
      `// Exercise: a student that learns CIFAR-10. The check trains a copy of it for 3 epochs on
// 2,000 images and needs 30 % test accuracy (chance: 10 %). It takes about 15 s.
// TODO: build the student for CIFAR-10's 32×32×3 images.
const myCifarStudent = answer("02-cifar-training", mnistStudent({ seed: 1 }));
await showResult(checkCifarTraining(myCifarStudent, { train, test }));
`,
  },
  "03-agreement": {
    imports: ["answer", "checkAgreement", "showResult", "todo"],
    needs: [],
    source:
      `// Exercise: how often does the student predict the teacher's class? A fraction in [0, 1].
const agreement = answer("03-agreement", (teacherPred, studentPred) => {
  // TODO: count the examples i where studentPred[i] === teacherPred[i], divide by their number.
  return todo(0, teacherPred, studentPred);
});
await showResult(checkAgreement(agreement));
`,
  },
  "03-save-reload": {
    imports: ["answer", "checkReloadedModel", "showResult", "todo"],
    needs: ["student", "test"],
    source:
      `// Exercise: save the student and load it back. Helpers: saveModel(model, dir), loadModel(dir).
const saveAndReload = answer("03-save-reload", (model, dir) => {
  // TODO: save \`model\` to \`dir\`, then return the model loaded from \`dir\` (make it async).
  return todo(model, dir);
});
const reloaded = await saveAndReload(student, "models/03-student");
await showResult(checkReloadedModel(student, reloaded, test));
`,
  },
  "04-cosine-loss": {
    imports: ["answer", "checkCosineLoss", "showResult", "todo"],
    needs: [],
    source:
      `// Exercise: PyTorch's CosineEmbeddingLoss with target 1: the mean over rows of 1 − cos(a, b).
const myCosineLoss = answer("04-cosine-loss", (a, b) => {
  // TODO: cos = sum(a·b, axis 1) / (‖a‖·‖b‖) per row; return the mean of 1 − cos.
  return todo(0, a, b);
});
await showResult(checkCosineLoss(myCosineLoss));
`,
  },
  "04-feature-pooling": {
    imports: ["answer", "checkFeaturePooling", "showResult", "todo"],
    needs: [],
    source:
      `// Exercise: the teacher's feature has 2048 values, the student's 1024. Pool the teacher's.
const poolTeacherFeatures = answer("04-feature-pooling", (teacherFeatures) => {
  // TODO: return [n, 1024]: combine neighbouring features the way the tutorial does.
  return todo(teacherFeatures);
});
await showResult(checkFeaturePooling(poolTeacherFeatures));
`,
  },
  "05-best-sweep-cell": {
    imports: ["answer", "checkBestSweepCell", "showResult", "todo"],
    needs: ["sweepCells"],
    source: `// Exercise: which (T, λ) did best in the sweep above?
const pickBestCell = answer("05-best-sweep-cell", (cells) => {
  // TODO: return the { temperature, lambda } of the cell with the highest accuracy.
  return todo({ temperature: NaN, lambda: NaN }, cells);
});
await showResult(checkBestSweepCell(pickBestCell, sweepCells));
`,
  },
  "05-ensemble-target": {
    imports: ["answer", "checkEnsembleTarget", "showResult", "todo"],
    needs: [],
    source: `// Exercise: the target of a two-teacher ensemble, from the teachers' probabilities.
const ensembleTarget = answer("05-ensemble-target", (probsA, probsB) => {
  // TODO: combine the two teachers' probabilities into one distribution per row.
  return todo(probsA, probsB);
});
await showResult(checkEnsembleTarget(ensembleTarget));
`,
  },
};

/** Just the source text of each exercise cell. */
export const skeletonSource: Readonly<Record<ExerciseId, string>> = Object.fromEntries(
  Object.entries(skeletonCells).map(([id, cell]) => [id, cell.source]),
) as Record<ExerciseId, string>;
