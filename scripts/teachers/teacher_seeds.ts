/**
 * Notebook 01's teacher over several seeds: the full cpu recipe (60,000 images,
 * 5 epochs, batch 100, Adam 1e-3) per seed, printing one JSON line per seed
 * with the test and train accuracy after every epoch, and writing them all to
 * our side of bench/lesson_a_seeds.json after each seed (readSeedSpread reads
 * it). Notebook 01 trains one teacher (seed 0, shuffle seed 10); this shows how
 * far that one run is from the recipe's typical result.
 * bench/lesson_a_reference.py does the same in PyTorch.
 *
 *   deno run -A scripts/teachers/teacher_seeds.ts 1 2 3
 */
import { backendLabel, ensureBackend } from "../../lib/backend.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { defaultOptimizer, fit } from "../../lib/distill/fit.ts";
import { mnistTeacher } from "../../lib/models/mod.ts";
import { type OurSeedRun, recordOurSeeds } from "../../lib/notebook/seed_spread.ts";

const seeds = Deno.args.map(Number);
if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) {
  throw new Error(`give integer seeds as arguments, e.g. "1 2 3"; got "${Deno.args.join(" ")}"`);
}
const engine = backendLabel(await ensureBackend());
const date = new Date().toISOString().slice(0, 10);
const runs: OurSeedRun[] = [];
const [train, test] = await Promise.all([loadMnist("train"), loadMnist("test")]);
for (const seed of seeds) {
  const start = performance.now();
  const { history } = await fit({
    model: mnistTeacher({ seed }),
    train,
    test,
    epochs: 5,
    batchSize: 100,
    seed: 10 + seed,
    optimizer: defaultOptimizer(0.001),
  });
  const run: OurSeedRun = {
    seed,
    // fit measures the test set after every epoch when it is given one.
    test: history.map((h) => h.testAccuracy as number),
    train: history.map((h) => h.trainAccuracy),
    minutes: (performance.now() - start) / 60000,
  };
  console.log(JSON.stringify(run));
  runs.push(run);
  await recordOurSeeds({ date, engine, runs });
}
