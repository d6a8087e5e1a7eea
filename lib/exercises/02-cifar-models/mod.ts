/**
 * Exercise 02-cifar-models of notebook 02, "Teacher and student for 32×32×3 images": its answer
 * type, check and skeleton cell. Its solution is in ./solution.ts, which only `answer` loads, when
 * KD_SOLUTIONS is on.
 */
import * as tf from "@tensorflow/tfjs";
import { countTrainableParams } from "../../models/blocks.ts";
import { mnistStudent, mnistTeacher } from "../../models/mnist_cnn.ts";
import { checkFailed, checkPassed, type CheckResult } from "../result.ts";
import { count, describeKind, isLayersModel, ordinal } from "../util.ts";
import { defineExercise } from "../define.ts";

/** Notebook 01's teacher and student rebuilt for 32×32×3 CIFAR-10 images. */
export interface CifarModels {
  teacher: tf.LayersModel;
  student: tf.LayersModel;
}

/** Shapes CIFAR-10 models take and give (02-cifar-training checks them too). */
export const CIFAR_INPUT = [null, 32, 32, 3];
export const CIFAR_OUTPUT = [null, 10];

type Role = "teacher" | "student";

/** Shapes of the trainable weights of the library's reference models, built once. */
let referenceShapes: Record<Role, number[][]> | undefined;

function references(): Record<Role, number[][]> {
  if (!referenceShapes) {
    const shapesOf = (m: tf.LayersModel) => {
      const shapes = m.trainableWeights.map((w) => w.shape as number[]);
      m.dispose();
      return shapes;
    };
    referenceShapes = {
      teacher: shapesOf(mnistTeacher({ inputShape: [32, 32, 3] })),
      student: shapesOf(mnistStudent({ inputShape: [32, 32, 3] })),
    };
  }
  return referenceShapes;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const sameShape = (a: readonly (number | null)[], b: readonly (number | null)[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
export const showShape = (s: readonly (number | null)[]) =>
  `[${s.map((d) => d ?? "null").join(",")}]`;

/** How the flattened feature count depends on the image size, per model. */
const FLATTEN: Record<Role, string> = {
  teacher: "7·7·32 = 1,568 on 28×28 images, 8·8·32 = 2,048 on 32×32",
  student: "14·14·16 = 3,136 on 28×28 images, 16·16·16 = 4,096 on 32×32",
};

/** "its 1st convolution has 16·5·5·1 = 400 weights; …" for the first two differing weights. */
function weightDifferences(role: Role, got: number[][], want: number[][]): string[] {
  const out: string[] = [];
  let convs = 0;
  let denses = 0;
  for (let i = 0; i < Math.max(got.length, want.length) && out.length < 2; i++) {
    const g = got[i];
    const w = want[i];
    if (!g || !w || g.length !== w.length) {
      // From here on the layers do not line up: describing single weights would mislead.
      out.push(
        `from its ${ordinal(i + 1)} weight tensor on, its layers differ from notebook 01's ` +
          `(${got.length} weight tensors; the reference has ${want.length})`,
      );
      break;
    }
    if (w.length === 4) convs++;
    if (w.length === 2) denses++;
    if (sameShape(g, w)) continue;
    if (w.length === 4) {
      const [kh, kw, cin, cout] = g;
      const [rh, rw, rcin, rcout] = w;
      const why = cin !== rcin
        ? ` — a ${rcin}-channel input needs ${rcin} input channels here`
        : "";
      out.push(
        `its ${ordinal(convs)} convolution has ${cout}·${kh}·${kw}·${cin} = ${count(size(g))} ` +
          `weights; the reference has ${rcout}·${rh}·${rw}·${rcin} = ${count(size(w))}${why}`,
      );
    } else if (w.length === 2) {
      const why = g[0] !== w[0] && denses === 1
        ? ` — it reads the flattened feature map, which grows with the image (${FLATTEN[role]})`
        : "";
      out.push(
        `its ${ordinal(denses)} dense layer maps ${count(g[0])} → ${count(g[1])}; the reference ` +
          `maps ${count(w[0])} → ${count(w[1])}${why}`,
      );
    } else {
      out.push(`its ${ordinal(i + 1)} weight tensor is [${g}] where the reference has [${w}]`);
    }
  }
  return out;
}

/** What is wrong with one of the two models, or undefined when it matches the reference. */
function modelProblem(
  role: Role,
  model: unknown,
  factory: string,
): { message: string; hint: string } | undefined {
  if (!isLayersModel(model)) {
    return {
      message: `the ${role} is ${describeKind(model)}, not a tf.LayersModel`,
      hint: `build it with ${factory}({ inputShape: [32, 32, 3] }).`,
    };
  }
  const ref = references();
  const want = ref[role];
  const wantCount = want.reduce((s, w) => s + size(w), 0);
  const gotShapes = model.trainableWeights.map((w) => w.shape as number[]);
  const gotCount = countTrainableParams(model);
  const diffs = weightDifferences(role, gotShapes, want);
  const countLine = `It has ${count(gotCount)} trainable parameters, the reference ` +
    `${factory}({ inputShape: [32, 32, 3] }) has ${count(wantCount)} (off by ${
      gotCount > wantCount ? "+" : "−"
    }${count(Math.abs(gotCount - wantCount))})`;
  const details = diffs.length ? `${countLine}: ${diffs.join("; ")}.` : `${countLine}.`;
  const input = model.inputs[0]?.shape ?? [];
  if (!sameShape(input, CIFAR_INPUT)) {
    const channels = input[input.length - 1];
    return {
      message: `the ${role} takes ${showShape(input)} inputs; CIFAR-10 images are ` +
        `${showShape(CIFAR_INPUT)} (32×32 pixels, 3 colour channels)`,
      hint: `pass inputShape: [32, 32, 3] to ${factory}` +
        `${channels === 1 ? " (the 1 channel is MNIST's grey)" : ""}. ${details}`,
    };
  }
  const output = model.outputs[0].shape;
  if (!sameShape(output, CIFAR_OUTPUT)) {
    return {
      message: `the ${role}'s output is ${showShape(output)}; CIFAR-10 has 10 classes, so ` +
        `${showShape(CIFAR_OUTPUT)}`,
      hint: `keep classes: 10 (the default). ${details}`,
    };
  }
  if (gotCount !== wantCount || diffs.length) {
    const other: Role = role === "teacher" ? "student" : "teacher";
    const swapped = gotCount === ref[other].reduce((s, w) => s + size(w), 0);
    return {
      message: `the ${role} has ${count(gotCount)} trainable parameters; expected ${
        count(wantCount)
      }`,
      hint: swapped
        ? `that is the ${other}'s count: did you swap the teacher and the student?`
        : `${details} Keep notebook 01's architecture and change only the input shape.`,
    };
  }
  return undefined;
}

/**
 * Checks notebook 01's teacher and student rebuilt for CIFAR-10: input
 * `[null, 32, 32, 3]`, output `[null, 10]`, and trainable parameters weight by
 * weight against `mnistTeacher({ inputShape: [32, 32, 3] })` and
 * `mnistStudent({ inputShape: [32, 32, 3] })`.
 */
export function checkCifarModels(models: CifarModels): CheckResult {
  const id = "02-cifar-models";
  if (typeof models !== "object" || models === null) {
    return checkFailed(
      id,
      `the answer is ${describeKind(models)}`,
      "pass an object { teacher, student } holding the two models.",
    );
  }
  for (
    const [role, factory] of [["teacher", "mnistTeacher"], ["student", "mnistStudent"]] as const
  ) {
    const p = modelProblem(role, models[role], factory);
    if (p) return checkFailed(id, p.message, p.hint);
  }
  return checkPassed(
    id,
    `both take [null,32,32,3] and output [null,10]; teacher ${
      count(countTrainableParams(models.teacher))
    } and student ${count(countTrainableParams(models.student))} trainable parameters, as the ` +
      "reference",
  );
}

/** The exercise as its notebook holds it: the cell a learner fills in (its skeleton). */
export const exercise = defineExercise<"02-cifar-models", CifarModels>({
  id: "02-cifar-models",
  notebook: "02",
  title: "Teacher and student for 32×32×3 images",
  check: "checkCifarModels",
  cell: {
    imports: ["answer", "checkCifarModels", "mnistStudent", "mnistTeacher", "showResult"],
    needs: [],
    source: `// Exercise: notebook 01's teacher and student, rebuilt for CIFAR-10 images.
const cifarModels = answer("02-cifar-models", {
  // TODO: these are still the MNIST networks. What shape is one CIFAR-10 image?
  teacher: mnistTeacher({ seed: 0 }),
  student: mnistStudent({ seed: 1 }),
});
await showResult(checkCifarModels(cifarModels));
`,
  },
});
