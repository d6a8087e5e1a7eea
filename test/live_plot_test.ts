import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { loadCifar10 } from "../lib/data/cifar10.ts";
import { subset } from "../lib/data/dataset.ts";
import { crossEntropy } from "../lib/distill/losses.ts";
import { predictOutputs } from "../lib/distill/outputs.ts";
import { ensureBackend } from "../lib/backend.ts";
import { loadTeacher, type TeacherManifest } from "../lib/teachers/mod.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const script = join(repo, "scripts", "teachers", "train_teachers.ts");
// The mirror copy of CIFAR-10, found as .ci/run finds it.
const mirror = Deno.env.get("KD_DATA_MIRROR") ?? resolve(repo, "..", "shared", "data");
const NAME = "teacher01-cifar10";
// 6 batches of 100 an epoch.
const TINY = ["--epochs", "2", "--train-size", "600", "--test-size", "200"];

interface Trace {
  name: string;
  x: number[];
  y: number[];
}
interface PlotData {
  id: number;
  data: Trace[];
  layout: { title: string };
}

/**
 * A socket.io client over engine.io 4's long-polling, the one transport
 * nodeplotlib's gateway accepts: enough to ask for the plots as its page does.
 */
class PollingClient {
  private constructor(readonly url: string) {}

  static async connect(base: string): Promise<PollingClient> {
    const handshake = `${base}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(handshake)).text();
    assert.match(open, /^0\{/, `engine.io handshake: ${open}`);
    const client = new PollingClient(`${handshake}&sid=${JSON.parse(open.slice(1)).sid}`);
    await client.send("40");
    assert.match((await client.poll()).join(), /^40\{/, "socket.io namespace connect");
    return client;
  }

  async send(packet: string): Promise<void> {
    const r = await fetch(this.url, { method: "POST", body: packet });
    assert.equal(await r.text(), "ok");
  }

  /** The next packets (separated by U+001E); none once the server is gone. */
  async poll(): Promise<string[]> {
    try {
      const r = await fetch(this.url);
      const text = await r.text();
      return r.ok ? text.split("\x1e") : [];
    } catch {
      return [];
    }
  }
}

const traceOf = (plot: PlotData, name: string): Trace => {
  const trace = plot.data.find((t) => t.name === name);
  assert.ok(trace, `plot "${plot.layout.title}" has a "${name}" trace`);
  return trace;
};

Deno.test("train-teachers --plot --no-open serves nodeplotlib's live curves on 127.0.0.1 and exits", async () => {
  const base = await Deno.makeTempDir({ prefix: "live-plot-" });
  const folders = ["--out", join(base, "teachers"), "--runs", join(base, "runs")];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, NAME, ...TINY, ...folders, "--plot", "--no-open"],
    env: { KD_DATA_MIRROR: mirror },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  // A run that never ends would hang the suite: it gets two minutes.
  const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    await checkRun({ output: child.stdout, stderr, status, teachers: join(base, "teachers") });
  } finally {
    clearTimeout(guard);
    if (!exited) child.kill("SIGKILL");
    await status;
  }
  await Deno.remove(base, { recursive: true });
});

/** The run's output, plots and exit, checked against the teacher it wrote into `teachers`. */
async function checkRun({ output, stderr, status, teachers }: {
  output: ReadableStream<Uint8Array>;
  stderr: Promise<string>;
  status: Promise<Deno.CommandStatus>;
  teachers: string;
}) {
  // Read stdout up to the address line, then keep draining it: a full pipe would stall the run.
  const reader = output.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  let address: RegExpMatchArray | null;
  while (!(address = stdout.match(/live plot: (http:\/\/127\.0\.0\.1:(\d+))\s/))) {
    const { value, done } = await reader.read();
    if (done) assert.fail(`no live plot address printed; stdout:\n${stdout}\n${await stderr}`);
    stdout += value;
  }
  const [, url, port] = address;
  const drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) stdout += r.value;
  })();

  const page = await fetch(url);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<title>Nodeplotlib<\/title>/);
  assert.match(html, /<npl-root><\/npl-root>/);
  if (Deno.build.os === "linux") {
    // All of 127/8 is loopback on Linux: a server on every interface would answer here too.
    await assert.rejects(Deno.connect({ hostname: "127.0.0.2", port: Number(port) }));
  }

  // Ask for the plots as the page does, then read every update until the server closes.
  const client = await PollingClient.connect(url);
  await client.send('42["readplots"]');
  const updates: PlotData[] = [];
  let closed = false;
  while (!closed) {
    const packets = await client.poll();
    closed = packets.length === 0;
    for (const packet of packets) {
      if (packet === "1") closed = true; // engine.io close: the server is shutting down
      if (packet === "2") await client.send("3"); // engine.io ping: answer, or be dropped
      if (packet.startsWith("42")) {
        const [event, plot] = JSON.parse(packet.slice(2));
        assert.equal(event, "plotdata");
        updates.push(plot);
      }
    }
  }

  assert.equal((await status).code, 0, await stderr);
  await drained;
  // The port is free again: nothing answers there, and it can be bound.
  await assert.rejects(fetch(url));
  Deno.listen({ hostname: "127.0.0.1", port: Number(port) }).close();

  const manifest: TeacherManifest = JSON.parse(
    await Deno.readTextFile(join(teachers, NAME, "manifest.json")),
  );
  const last = (title: string) => {
    const plot = updates.findLast((u) => u.layout.title === `${NAME}: ${title}`);
    assert.ok(
      plot,
      `an update of the ${title} plot; titles: ${updates.map((u) => u.layout.title)}`,
    );
    return plot;
  };
  const loss = last("loss");
  const accuracy = last("accuracy");
  // One point per finished epoch, holding the run's own numbers.
  const history = manifest.history;
  assert.equal(history.length, 2);
  for (const trace of [traceOf(loss, "train loss"), traceOf(loss, "test loss")]) {
    assert.deepEqual(trace.x, [1, 2]);
  }
  assert.deepEqual(traceOf(loss, "train loss").y, history.map((r) => r.loss));
  assert.deepEqual(traceOf(accuracy, "train accuracy").y, history.map((r) => r.trainAccuracy));
  assert.deepEqual(traceOf(accuracy, "test accuracy").y, history.map((r) => r.testAccuracy));

  // The last test loss is the written teacher's cross-entropy on the same 200 test images.
  await ensureBackend(); // the engine the notebooks load teachers on
  const { model } = await loadTeacher(NAME, { root: teachers });
  const test = subset(await loadCifar10("test", { mirror }), 200, manifest.recipe.testSubsetSeed);
  const { values, shape } = predictOutputs(model, test, ["logits"]).logits!;
  const expected = tf.tidy(() =>
    crossEntropy(tf.tensor2d(values, [test.size, shape[0]]), tf.tensor1d(test.y, "int32"))
      .dataSync()[0]
  );
  model.dispose();
  const testLoss = traceOf(loss, "test loss").y[1];
  assert.ok(Math.abs(testLoss - expected) < 1e-5 * expected, `test loss ${testLoss}, ${expected}`);

  // The smoothed batch loss: a point per batch, in epochs, starting at the first batch's loss.
  const batches = traceOf(loss, "batch loss (smoothed)");
  const epochAndBatch = Array.from({ length: 12 }, (_, i) => [1 + Math.floor(i / 6), 1 + (i % 6)]);
  assert.deepEqual(batches.x, epochAndBatch.map(([epoch, batch]) => epoch - 1 + batch / 6));
  const firstLoss = stdout.match(/epoch 1\/2 · batch 1\/6 · loss (\d+\.\d{4})/)?.[1];
  assert.equal(batches.y[0].toFixed(4), firstLoss);
  assert.ok(batches.y.every(Number.isFinite));

  // Live: the page had epoch 1's point before epoch 2 was done.
  const epochCounts = updates.filter((u) => u.layout.title === accuracy.layout.title)
    .map((u) => traceOf(u, "test accuracy").x.length);
  assert.ok(epochCounts.includes(1), `test accuracy points per update: ${epochCounts}`);
}

/** The modules (specifiers) and npm packages (names) a module loads, from `deno info`. */
async function moduleGraph(file: string, followDynamic: boolean) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(repo, file)],
    cwd: repo,
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  type Dep = { code?: { specifier: string }; isDynamic?: boolean };
  type Module = { specifier: string; dependencies?: Dep[]; npmPackage?: string };
  const byName = new Map<string, Module>(info.modules.map((m: Module) => [m.specifier, m]));
  const npm: Record<string, { name: string; dependencies: string[] }> = info.npmPackages;
  const redirects: Record<string, string> = info.redirects;
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visitPackage = (id: string) => {
    if (packages.has(npm[id].name)) return;
    packages.add(npm[id].name);
    npm[id].dependencies.forEach(visitPackage);
  };
  const visit = (specifier: string) => {
    const m = byName.get(redirects[specifier] ?? specifier);
    if (!m || modules.has(m.specifier)) return;
    modules.add(m.specifier);
    if (m.npmPackage) visitPackage(m.npmPackage);
    for (const d of m.dependencies ?? []) {
      if (d.code && (followDynamic || !d.isDynamic)) visit(d.code.specifier);
    }
  };
  info.roots.forEach(visit);
  return { modules: [...modules], packages: [...packages] };
}

const SERVER_PACKAGE = /^(nodeplotlib|@nestjs\/.*|socket\.io|express|rxjs)$/;

Deno.test("nodeplotlib is loaded only through train-teachers' --plot import, never by lib/mod.ts", async () => {
  const statically = await moduleGraph("scripts/teachers/train_teachers.ts", false);
  assert.ok(statically.packages.includes("@tensorflow/tfjs"), "the walk reaches npm packages");
  assert.deepEqual(statically.packages.filter((p) => SERVER_PACKAGE.test(p)), []);
  assert.deepEqual(statically.modules.filter((m) => m.endsWith("/live_plot.ts")), []);
  // The one way in: the dynamic import that --plot takes.
  const withPlot = await moduleGraph("scripts/teachers/train_teachers.ts", true);
  assert.ok(withPlot.packages.includes("nodeplotlib"));
  assert.ok(withPlot.modules.some((m) => m.endsWith("/scripts/teachers/live_plot.ts")));

  const library = await moduleGraph("lib/mod.ts", true);
  assert.ok(library.packages.includes("@tensorflow/tfjs"), "the walk reaches npm packages");
  assert.deepEqual(library.packages.filter((p) => SERVER_PACKAGE.test(p)), []);
  assert.deepEqual(library.modules.filter((m) => m.endsWith("/live_plot.ts")), []);
});
