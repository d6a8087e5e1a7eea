import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { syntheticPeople } from "../lib/data/people.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/distill/checkpoint.ts";
import { fit } from "../lib/distill/fit.ts";
import { tabularStudent, tabularTeacher } from "../lib/models/mod.ts";
import type { StatefulLayer } from "../lib/models/stateful_layer.ts";

const script = new URL("./fixtures/checkpoint_run.ts", import.meta.url).pathname;
type Kind = "lightnn" | "mnist-student";

async function run(kind: Kind, dir: string) {
  const args = ["run", "-A", script, kind, dir];
  const out = await new Deno.Command(Deno.execPath(), { args, stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  return { code: out.code, text, stderr: new TextDecoder().decode(out.stderr) };
}

/** Starts a run and kills it with SIGKILL as soon as epoch `epoch`'s checkpoint is written. */
async function runAndKill(kind: Kind, dir: string, epoch: number): Promise<Deno.CommandStatus> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, kind, dir, String(epoch)],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let seen = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    seen += chunk;
    if (seen.includes(`checkpointed ${epoch}`)) {
      child.kill("SIGKILL");
      break;
    }
  }
  return await child.status;
}

/** The uninterrupted run of each model, run once and shared by its kill tests. */
const wholeRuns = new Map<Kind, ReturnType<typeof run>>();
function wholeRun(kind: Kind, base: string) {
  if (!wholeRuns.has(kind)) wholeRuns.set(kind, run(kind, join(base, `whole-${kind}`)));
  return wholeRuns.get(kind)!;
}

for (const [kind, what] of [["lightnn", "dropout"], ["mnist-student", "batch norm"]] as const) {
  for (const killedAfter of [1, 3]) {
    Deno.test(`${kind} (${what}) killed by SIGKILL after epoch ${killedAfter} resumes to the uninterrupted run's weights`, async () => {
      const base = await Deno.makeTempDir();
      const whole = await wholeRun(kind, await Deno.makeTempDir());
      assert.equal(whole.code, 0, whole.stderr);
      const killed = await runAndKill(kind, join(base, "resumed"), killedAfter);
      assert.equal(killed.signal, "SIGKILL");
      const latest = await Deno.readTextFile(join(base, "resumed", "latest"));
      assert.equal(latest.trim(), `epoch-000${killedAfter}`);
      const resumed = await run(kind, join(base, "resumed"));
      assert.equal(resumed.code, 0, resumed.stderr);
      const { trainedHere: wholeEpochs, ...a } = JSON.parse(whole.text);
      const { trainedHere: resumedEpochs, ...b } = JSON.parse(resumed.text);
      assert.equal(wholeEpochs, 4);
      assert.equal(resumedEpochs, 4 - killedAfter, "the resumed run trains only the epochs left");
      assert.equal(a.losses.length, 4);
      // Bit-identical: the same weights hash and the same loss history.
      assert.deepEqual(b, a);
      await Deno.remove(base, { recursive: true });
    });
  }
}

Deno.test("a half-written checkpoint is ignored; a foreign one is refused with the fix", async () => {
  const dir = await Deno.makeTempDir();
  const model = tabularStudent({ seed: 1 });
  const optimizer = tf.train.adam(0.01);
  assert.equal(await loadCheckpoint(dir, [model], optimizer), undefined);
  await saveCheckpoint(dir, [model], optimizer, { epoch: 1, history: [] });
  // A later save that died before the rename leaves only a temporary directory.
  await Deno.mkdir(join(dir, ".epoch-0002.partial-dead"));
  const restored = await loadCheckpoint(dir, [tabularStudent({ seed: 9 })], tf.train.adam(0.01));
  assert.equal(restored?.epoch, 1);
  await assert.rejects(
    loadCheckpoint(dir, [tabularTeacher()], tf.train.adam(0.01)),
    /model tabular_teacher has 6 weights, the checkpoint 4; it belongs to another architecture — delete/,
  );
  await Deno.remove(dir, { recursive: true });
});

/** A layer of no class the checkpoint knows, with a stream position of its own. */
class StreamPosition extends tf.layers.Layer implements StatefulLayer {
  static className = "StreamPositionForCheckpointTest";
  position = 0;
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return (Array.isArray(inputs) ? inputs[0] : inputs).clone();
  }
  rngState(): number {
    return this.position;
  }
  restoreRngState(state: number): void {
    this.position = state;
  }
}

Deno.test("a checkpoint saves and restores the random state of any StatefulLayer", async () => {
  const dir = await Deno.makeTempDir();
  const stream = new StreamPosition({ name: "stream" });
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3] }), stream],
  });
  const optimizer = tf.train.adam(0.1);
  stream.position = 12345;
  await saveCheckpoint(dir, [model], optimizer, { epoch: 1, history: [] });
  stream.position = 0;
  await loadCheckpoint(dir, [model], optimizer);
  assert.equal(stream.position, 12345);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a checkpoint of an SGD run saves and restores its weights", async () => {
  const dir = await Deno.makeTempDir();
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  const optimizer = tf.train.sgd(0.1);
  const saved = model.getWeights().map((w) => w.arraySync());
  await saveCheckpoint(dir, [model], optimizer, { epoch: 3, history: [] });
  tf.tidy(() => model.setWeights(model.getWeights().map((w) => tf.zerosLike(w))));
  const state = await loadCheckpoint(dir, [model], optimizer);
  assert.equal(state?.epoch, 3);
  assert.deepEqual(model.getWeights().map((w) => w.arraySync()), saved);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saving and restoring a checkpoint leaks no tensors", async () => {
  const dir = await Deno.makeTempDir();
  const model = tabularStudent({ seed: 1 });
  const optimizer = tf.train.adam(0.01);
  // One step gives Adam its moments, so the baseline below counts them and a load replaces them.
  const { train } = syntheticPeople({ seed: 2 });
  await fit({ model, train, optimizer, epochs: 1, batchSize: 200, shuffle: false });
  await saveCheckpoint(dir, [model], optimizer, { epoch: 1, history: [] });
  const before = tf.memory().numTensors;
  await loadCheckpoint(dir, [model], optimizer);
  assert.equal(tf.memory().numTensors, before, "loadCheckpoint leaked");
  await saveCheckpoint(dir, [model], optimizer, { epoch: 2, history: [] });
  assert.equal(tf.memory().numTensors, before, "saveCheckpoint leaked");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a NaN loss stops the run and leaves the last good checkpoint intact", async () => {
  const dir = await Deno.makeTempDir();
  const { train } = syntheticPeople({ seed: 2 });
  const options = { train, epochs: 3, batchSize: 10, shuffle: false, checkpoint: { dir } };
  await fit({ ...options, model: tabularStudent({ seed: 1 }), epochs: 1 });
  const x = new Float32Array(train.x);
  x[6 * 15] = NaN; // example 15: the second batch
  await assert.rejects(
    fit({ ...options, model: tabularStudent({ seed: 1 }), train: { ...train, x } }),
    /loss became NaN at epoch 2, batch 2 \(terms: ce\)/,
  );
  assert.equal((await Deno.readTextFile(join(dir, "latest"))).trim(), "epoch-0001");
  const restored = await loadCheckpoint(dir, [tabularStudent({ seed: 1 })], tf.train.adam());
  assert.equal(restored?.epoch, 1);
  await Deno.remove(dir, { recursive: true });
});
