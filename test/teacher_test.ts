import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { describeBackend, ensureBackend } from "../lib/backend.ts";
import { CIFAR10_CHECKSUMS, loadCifar10 } from "../lib/data/cifar10.ts";
import { subset } from "../lib/data/dataset.ts";
import { fileDigests, projectMirror } from "../lib/data/download.ts";
import { evaluateAccuracy } from "../lib/distill/evaluate.ts";
import { saveModel } from "../lib/io/model_dir.ts";
import { loadTeacher, TEACHER_NAMES, type TeacherManifest, TEACHERS } from "../lib/teachers/mod.ts";
import { countTrainableParams, mnistStudent } from "../lib/models/mod.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const script = join(repo, "scripts", "teachers", "train_teachers.ts");
const mirror = projectMirror();
const NAME = "teacher01-cifar10";
// 6 batches of 100 an epoch: the second epoch outlasts the kill sent after the first.
const TINY = ["--epochs", "2", "--train-size", "600", "--test-size", "200"];
const RETRAIN = /retrain it with `deno task train-teachers teacher01-cifar10`/;

function trainCommand(base: string, extra: string[] = []): Deno.Command {
  const folders = ["--out", join(base, "teachers"), "--runs", join(base, "runs")];
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, NAME, ...TINY, ...folders, ...extra],
    env: { KD_DATA_MIRROR: mirror },
    stdout: "piped",
    stderr: "piped",
  });
}

async function train(base: string, extra: string[] = []) {
  const out = await trainCommand(base, extra).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function readManifest(root: string, name = NAME): Promise<TeacherManifest> {
  return JSON.parse(await Deno.readTextFile(join(root, name, "manifest.json")));
}

/** Trainable parameters of a model, as error messages print them. */
function params(model: tf.LayersModel): string {
  const n = countTrainableParams(model);
  model.dispose();
  return n.toLocaleString("en");
}

/** The uninterrupted tiny run, trained once and shared by the tests below. */
let whole: Promise<{ base: string; stdout: string; manifest: TeacherManifest }> | undefined;
function wholeRun() {
  whole ??= (async () => {
    const base = await Deno.makeTempDir({ prefix: "teachers-whole-" });
    const r = await train(base);
    assert.equal(r.code, 0, r.stderr);
    return { base, stdout: r.stdout, manifest: await readManifest(join(base, "teachers")) };
  })();
  return whole;
}

/** A fresh copy of the whole run's teacher under `<root>/<as>/`, to damage. */
async function copyTeacher(as: string = NAME): Promise<string> {
  const { base } = await wholeRun();
  const root = await Deno.makeTempDir({ prefix: "teachers-copy-" });
  await Deno.mkdir(join(root, as));
  for (const f of ["model.json", "weights.bin", "manifest.json"]) {
    await Deno.copyFile(join(base, "teachers", NAME, f), join(root, as, f));
  }
  return root;
}

Deno.test("train-teachers on a tiny subset writes a teacher that loadTeacher reads back", async () => {
  await ensureBackend();
  const { base, stdout, manifest } = await wholeRun();
  // Progress went to the log as lines (stdout is a pipe here), then one line per epoch.
  assert.match(stdout, /epoch 1\/2 · batch 1\/6 · loss \d+\.\d{4} · \d+ img\/s · ETA \d+:\d\d/);
  assert.match(stdout, /epoch 2\/2 done: .*test \d+\.\d\d %.*checkpoint saved in/);
  assert.deepEqual(
    { ...manifest.recipe },
    { ...TEACHERS[NAME].recipe, epochs: 2, trainSize: 600, testSize: 200 },
  );
  assert.equal(manifest.fullRecipe, false);
  assert.equal(manifest.history.length, 2);
  assert.equal(manifest.testAccuracy, manifest.history[1].testAccuracy);
  assert.deepEqual([manifest.data.trainImages, manifest.data.testImages], [600, 200]);
  const archive = CIFAR10_CHECKSUMS.find((c) => c.digest === manifest.data.archive.digest);
  assert.ok(archive, `archive checksum ${manifest.data.archive.digest} is a known one`);
  assert.equal(manifest.data.source, archive.description);
  assert.deepEqual(manifest.optimizer, {
    className: "Adam",
    learningRate: 0.001,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
  });
  assert.match(manifest.engine, /^backend: /);
  assert.deepEqual(manifest.sittings.map((s) => s.epochs), [[1, 2]]);
  assert.ok(manifest.wallSeconds >= manifest.trainingSeconds && manifest.trainingSeconds > 0);
  const weights = join(base, "teachers", NAME, "weights.bin");
  assert.equal(manifest.files["weights.bin"].sha256, (await fileDigests(weights)).sha256);
  // The finished run's checkpoint is gone: running again trains afresh.
  await assert.rejects(Deno.stat(join(base, "runs", NAME)), Deno.errors.NotFound);

  const before = tf.memory().numTensors;
  const { model, manifest: read } = await loadTeacher(NAME, { root: join(base, "teachers") });
  assert.deepEqual(read, manifest);
  assert.equal(read.architecture.parameters, countTrainableParams(model));
  const test = subset(await loadCifar10("test", { mirror }), 200, manifest.recipe.testSubsetSeed);
  assert.equal(evaluateAccuracy(model, test), manifest.testAccuracy);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("train-teachers killed after epoch 1 resumes to the uninterrupted run's weights", async () => {
  const { manifest: wholeManifest } = await wholeRun();
  const base = await Deno.makeTempDir({ prefix: "teachers-killed-" });
  const child = trainCommand(base).spawn();
  let seen = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    seen += chunk;
    if (/epoch 1\/2 done: .*checkpoint saved/.test(seen)) {
      child.kill("SIGKILL");
      break;
    }
  }
  await child.stderr.cancel();
  assert.equal((await child.status).signal, "SIGKILL");
  await assert.rejects(Deno.stat(join(base, "teachers", NAME)), Deno.errors.NotFound);

  // Other options would mix two recipes in one run: refused, the checkpoint kept.
  const other = await train(base, ["--epochs", "3"]);
  assert.notEqual(other.code, 0);
  assert.match(
    other.stderr,
    /holds an unfinished run of another recipe \(this run: epochs 3, not 2\)/,
  );

  const resumed = await train(base);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming at epoch 2 from .*checkpoint/);
  assert.doesNotMatch(resumed.stdout, /epoch 1\/2/);
  const manifest = await readManifest(join(base, "teachers"));
  assert.deepEqual(manifest.sittings.map((s) => s.epochs), [[1], [2]]);
  assert.equal(manifest.files["weights.bin"].sha256, wholeManifest.files["weights.bin"].sha256);
  const numbers = (m: TeacherManifest) =>
    m.history.map((r) => [r.loss, r.trainAccuracy, r.testAccuracy]);
  assert.deepEqual(numbers(manifest), numbers(wholeManifest));
  assert.equal(manifest.testAccuracy, wholeManifest.testAccuracy);
  await Deno.remove(base, { recursive: true });
});

Deno.test("a reduced run does not overwrite the shipped teachers", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, NAME, "--epochs", "1"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.notEqual(out.code, 0);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /a reduced run \(epochs 1, not 5\) would replace the shipped teacher in .*data\/teachers; pass --out DIR/,
  );
});

Deno.test("loadTeacher refuses a missing directory, naming it and the retraining command", async () => {
  const root = await Deno.makeTempDir();
  await assert.rejects(
    loadTeacher(NAME, { root: join(root, "none") }),
    new RegExp(
      `none/${NAME} does not exist: teacher ${NAME} was never trained here; ${RETRAIN.source}`,
    ),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadTeacher refuses a flipped byte in weights.bin", async () => {
  const root = await copyTeacher();
  const path = join(root, NAME, "weights.bin");
  const bytes = await Deno.readFile(path);
  bytes[bytes.length >> 1] ^= 0x01;
  await Deno.writeFile(path, bytes);
  const before = tf.memory().numTensors;
  await assert.rejects(
    loadTeacher(NAME, { root }),
    new RegExp(
      `${NAME}/weights\\.bin is damaged or was changed: its SHA-256 is [0-9a-f]{64}, ` +
        `manifest\\.json says [0-9a-f]{64}; ${RETRAIN.source}`,
    ),
  );
  assert.equal(tf.memory().numTensors, before, "the refused load keeps no tensors");
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadTeacher refuses a truncated weights.bin, model.json or manifest.json", async () => {
  for (
    const [file, error] of [
      ["weights.bin", /weights\.bin is truncated: 1000 bytes, manifest\.json says \d+; /],
      ["model.json", /model\.json is truncated: 1000 bytes, manifest\.json says \d+; /],
      ["manifest.json", /manifest\.json is unreadable \(.*JSON.*\); /],
    ] as const
  ) {
    const root = await copyTeacher();
    const path = join(root, NAME, file);
    await Deno.writeFile(path, (await Deno.readFile(path)).slice(0, 1000));
    await assert.rejects(loadTeacher(NAME, { root }), new RegExp(error.source + RETRAIN.source));
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadTeacher refuses a manifest or model of another architecture", async () => {
  await ensureBackend();
  const teacherParams = params(TEACHERS[NAME].build());
  // Notebook 01's teacher offered as DeepNN.
  let root = await copyTeacher("deepnn");
  await assert.rejects(
    loadTeacher("deepnn", { root }),
    /deepnn\/manifest\.json is for another architecture than the library's deepnn: it describes teacher teacher01-cifar10; retrain it with `deno task train-teachers deepnn`/,
  );
  const path = join(root, "deepnn", "manifest.json");
  const edited = { ...JSON.parse(await Deno.readTextFile(path)), name: "deepnn" };
  await Deno.writeTextFile(path, JSON.stringify(edited));
  await assert.rejects(
    loadTeacher("deepnn", { root }),
    new RegExp(
      `deepnn/manifest\\.json is for another architecture than the library's deepnn: it holds ` +
        `mnist_teacher, ${teacherParams} parameters, the library's model deep_nn, 1,186,986 ` +
        "parameters; retrain it with `deno task train-teachers deepnn`",
    ),
  );
  await Deno.remove(root, { recursive: true });

  // Files of another model with a manifest rewritten to match them: model.json is caught.
  root = await copyTeacher();
  const dir = join(root, NAME);
  const student = mnistStudent({ inputShape: [32, 32, 3] });
  await saveModel(student, join(root, "student"));
  const studentParams = params(student);
  const manifest = await readManifest(root);
  const files = { ...manifest.files };
  for (const f of ["model.json", "weights.bin"] as const) {
    await Deno.copyFile(join(root, "student", f), join(dir, f));
    files[f] = {
      bytes: (await Deno.stat(join(dir, f))).size,
      sha256: (await fileDigests(join(dir, f))).sha256,
    };
  }
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, files }));
  await assert.rejects(
    loadTeacher(NAME, { root }),
    new RegExp(
      `${NAME}/model\\.json is for another architecture than the library's ${NAME}: it holds ` +
        `mnist_student, ${studentParams} parameters, the library's model mnist_teacher, ` +
        `${teacherParams} ` +
        `parameters; ${RETRAIN.source}`,
    ),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadTeacher accepts an intact copy in another folder", async () => {
  await ensureBackend();
  const { base } = await wholeRun();
  const root = await copyTeacher();
  const before = tf.memory().numTensors;
  const original = await loadTeacher(NAME, { root: join(base, "teachers") });
  const copy = await loadTeacher(NAME, { root });
  assert.deepEqual(copy.manifest, original.manifest);
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 3);
  const [a, b] = [original, copy].map((t) =>
    tf.tidy(() => (t.model.predict(x) as tf.Tensor).arraySync())
  );
  assert.deepEqual(b, a);
  x.dispose();
  original.model.dispose();
  copy.model.dispose();
  assert.equal(tf.memory().numTensors, before);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(base, { recursive: true });
});

Deno.test("the shipped teachers load, are full-recipe runs and score on the test set what their manifests say", async () => {
  const backend = describeBackend(await ensureBackend());
  for (const name of TEACHER_NAMES) {
    const { model, manifest } = await loadTeacher(name);
    assert.equal(manifest.fullRecipe, true, name);
    assert.equal(manifest.data.trainImages, 50_000, name);
    assert.equal(manifest.data.testImages, 10_000, name);
    assert.equal(manifest.architecture.parameters, countTrainableParams(model), name);
    const test = await loadCifar10("test", {
      mirror,
      normalization: TEACHERS[name].recipe.normalization,
    });
    const accuracy = evaluateAccuracy(model, test);
    if (manifest.engine === backend) {
      assert.equal(accuracy, manifest.testAccuracy, name);
    } else {
      // Another engine sums in another order: a few borderline images may flip.
      assert.ok(
        Math.abs(accuracy - manifest.testAccuracy) <= 0.002,
        `${name}: ${accuracy} here (${backend}) vs ${manifest.testAccuracy} in its manifest`,
      );
    }
    model.dispose();
  }
});

Deno.test("loadTeacher starts no engine: the caller chooses it", async () => {
  const teachers = new URL("../lib/teachers/mod.ts", import.meta.url).href;
  const code = `import * as tf from "@tensorflow/tfjs";
import { loadTeacher } from "${teachers}";
const { model } = await loadTeacher("deepnn");
model.dispose();
console.log(tf.getBackend(), Object.keys(tf.engine().registryFactory).sort().join(","));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "cpu cpu");
});
