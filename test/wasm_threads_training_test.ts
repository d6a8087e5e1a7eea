/**
 * Training through the library on 2 wasm threads and on 1: the same losses and weights, bit for
 * bit, and the default thread count (one beside the native layer, one per core without it).
 * Each run is a child process (test/fixtures/wasm_threads_child.ts): a backend starts once.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { MAX_WASM_THREADS, wasmThreadsUnsupportedReason } from "@kd/engine";

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
  if (threads !== undefined) env.KD_WASM_THREADS = String(threads);
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
