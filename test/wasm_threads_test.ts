import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  MAX_WASM_THREADS,
  parseWasmThreads,
  WASM_THREADS_ENV,
  wasmThreadsUnsupportedReason,
} from "../lib/engines/wasm/threads.ts";

const CHILD = fileURLToPath(new URL("./fixtures/wasm_threads_child.ts", import.meta.url));

interface ChildReport {
  description: string;
  threads: number;
  losses: number[];
}

/** Runs the child in its own process: a backend starts only once per process. */
async function train(threads: number): Promise<ChildReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, "6"],
    env: { KD_BACKEND: "wasm", [WASM_THREADS_ENV]: String(threads) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `child with ${threads} thread(s) failed:\n${stdout}\n${stderr}`);
  return JSON.parse(stdout.split("\n").pop()!);
}

Deno.test("KD_WASM_THREADS is parsed and capped; unset or cores means one per core", () => {
  assert.deepEqual(parseWasmThreads("1"), { threads: 1, source: "KD_WASM_THREADS=1" });
  assert.equal(parseWasmThreads("3").threads, 3);
  assert.equal(parseWasmThreads("64").threads, MAX_WASM_THREADS);
  for (const bad of ["0", "-2", "1.5", "two"]) {
    assert.throws(() => parseWasmThreads(bad), /KD_WASM_THREADS=.*positive integer/);
  }
  assert.deepEqual(parseWasmThreads(undefined, 2), {
    threads: 2,
    source: "default: one per core",
  });
  assert.equal(parseWasmThreads(undefined, 1).threads, 1);
  assert.equal(parseWasmThreads(undefined, 32).threads, MAX_WASM_THREADS);
  assert.deepEqual(parseWasmThreads("cores", 2), { threads: 2, source: "cores" });
  assert.equal(parseWasmThreads("cores", 32).threads, MAX_WASM_THREADS);
});

const unsupported = wasmThreadsUnsupportedReason();

Deno.test({
  name: unsupported === undefined
    ? "2 wasm threads start and train the teacher with the losses of 1 thread"
    : `2 wasm threads vs 1 (skipped: ${unsupported})`,
  ignore: unsupported !== undefined,
  async fn() {
    const two = await train(2);
    assert.equal(two.threads, 2, two.description);
    assert.match(
      two.description,
      /^backend: wasm \(SIMD, 2 threads( \+ native [^)]+)?\) — KD_BACKEND=wasm; /,
    );
    assert.doesNotMatch(two.description, /threads failed/);
    const one = await train(1);
    assert.equal(one.threads, 1, one.description);
    assert.match(one.description, /^backend: wasm \(SIMD, 1 thread( \+ native [^)]+)?\) — /);
    assert.equal(two.losses.length, 6);
    assert.equal(one.losses.length, 6);
    two.losses.forEach((loss, i) => {
      assert.ok(Number.isFinite(loss), `step ${i}: loss ${loss}`);
      const rel = Math.abs(loss - one.losses[i]) / Math.abs(one.losses[i]);
      assert.ok(rel <= 1e-5, `step ${i}: ${loss} (2 threads) vs ${one.losses[i]} (1 thread)`);
    });
  },
});
