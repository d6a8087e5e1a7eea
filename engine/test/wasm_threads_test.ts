/** `KD_WASM_THREADS`: parsed, capped, and its defaults beside the native layer and without it. */
import assert from "node:assert/strict";
import { MAX_WASM_THREADS, parseWasmThreads } from "../wasm/threads_request.ts";

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
