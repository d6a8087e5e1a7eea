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
  weightsSha256: string;
}

/**
 * Runs the child in its own process (a backend starts only once per process), with
 * `threads` wasm threads, or the default for `undefined`.
 */
async function train(threads: number | undefined): Promise<ChildReport> {
  const env: Record<string, string> = { KD_BACKEND: "wasm" };
  if (threads !== undefined) env[WASM_THREADS_ENV] = String(threads);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, "6"],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `child with ${threads} thread(s) failed:\n${stdout}\n${stderr}`);
  return JSON.parse(stdout.split("\n").pop()!);
}

Deno.test("KD_WASM_THREADS is parsed and capped; unset means one per core, or one beside the native layer", () => {
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
  // Beside the native layer the default is one thread; a value set still wins.
  assert.deepEqual(parseWasmThreads(undefined, 2, true), {
    threads: 1,
    source: "default beside the native layer: one",
  });
  assert.equal(parseWasmThreads("2", 2, true).threads, 2);
  assert.equal(parseWasmThreads("cores", 4, true).threads, 4);
});

const unsupported = wasmThreadsUnsupportedReason();

Deno.test({
  name: unsupported === undefined
    ? "2 wasm threads start and train the teacher to the weights of 1 thread, bit for bit"
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
    assert.ok(two.losses.every(Number.isFinite), `losses ${two.losses}`);
    // The thread count only splits work: every loss and weight is the same bit for bit.
    assert.deepEqual(two.losses, one.losses);
    assert.match(one.weightsSha256, /^[0-9a-f]{64}$/);
    assert.equal(two.weightsSha256, one.weightsSha256);
    // Unset: one thread beside the native layer, one per core (capped) without it.
    const byDefault = await train(undefined);
    const native = / \+ native /.test(byDefault.description);
    const cores = Math.min(navigator.hardwareConcurrency ?? 1, MAX_WASM_THREADS);
    assert.equal(byDefault.threads, native ? 1 : cores, byDefault.description);
    assert.equal(byDefault.weightsSha256, one.weightsSha256);
  },
});
