import assert from "node:assert/strict";
import {
  flushConsole,
  formatConsoleArgs,
  holdCellEnd,
  inJupyterKernel,
  routeConsole,
  routeConsoleToKernel,
  type StreamName,
} from "../lib/notebook/kernel_output.ts";

type Method = (...args: unknown[]) => void;

/** A console stand-in whose own methods record what reaches them (the fallback path). */
function fakeConsole() {
  const direct: string[] = [];
  const record = (tag: string): Method => (...args) => direct.push(`${tag}:${args.join(" ")}`);
  const target = {
    log: record("log"),
    info: record("info"),
    debug: record("debug"),
    warn: record("warn"),
    error: record("error"),
  };
  return { target, direct };
}

Deno.test("formatConsoleArgs prints strings as they are and inspects other values", () => {
  assert.equal(formatConsoleArgs(["teacher:", 481214, "trainable"]), "teacher: 481214 trainable");
  assert.equal(formatConsoleArgs([{ a: 1, b: "x" }]), '{ a: 1, b: "x" }');
  assert.equal(formatConsoleArgs([[1, 2], null, undefined]), "[ 1, 2 ] null undefined");
  assert.equal(formatConsoleArgs([]), "");
});

Deno.test("formatConsoleArgs fills % directives from the arguments after the format", () => {
  assert.equal(
    formatConsoleArgs(["%s has %d rows (%i%%)", "set", 12.7, 99.9]),
    "set has 12.7 rows (99%)",
  );
  assert.equal(formatConsoleArgs(["%f and %o", "2.5", [1]]), "2.5 and [ 1 ]");
  assert.equal(formatConsoleArgs(["%cstyled", "color: red"]), "styled");
  // Directives without a value stay as written; values without a directive are appended.
  assert.equal(formatConsoleArgs(["%s %s", "a"]), "a %s");
  assert.equal(formatConsoleArgs(["x", 1, "y"]), "x 1 y");
  // A lone string is not a format.
  assert.equal(formatConsoleArgs(["100%s"]), "100%s");
});

Deno.test("a routed console sends one message per stream run, in order, after the caller's turn", async () => {
  const { target, direct } = fakeConsole();
  const sent: [StreamName, string][] = [];
  const restore = routeConsole((name, text) => void sent.push([name, text]), target);
  try {
    target.log("line 1");
    target.info("line", 2);
    target.warn("careful");
    target.debug("line 3");
    assert.deepEqual(sent, [], "nothing is sent while the caller runs");
    flushConsole();
    assert.deepEqual(sent, [
      ["stdout", "line 1\nline 2\n"],
      ["stderr", "careful\n"],
      ["stdout", "line 3\n"],
    ]);
    target.error("late");
    await new Promise((r) => setTimeout(r, 0)); // the microtask flush alone sends it
    assert.deepEqual(sent.at(-1), ["stderr", "late\n"]);
    assert.deepEqual(direct, []);
  } finally {
    restore();
  }
  target.log("after restore");
  assert.deepEqual(direct, ["log:after restore"]);
});

Deno.test("text the kernel refuses goes to the replaced console method instead of vanishing", () => {
  const { target, direct } = fakeConsole();
  const restore = routeConsole(() => {
    throw new Error("iopub closed");
  }, target);
  try {
    target.log("kept");
    target.error("also kept");
    flushConsole();
  } finally {
    restore();
  }
  assert.deepEqual(direct, ["log:kept", "error:also kept"]);
});

Deno.test("only one route at a time; outside the kernel routeConsoleToKernel leaves console alone", () => {
  const { target } = fakeConsole();
  const first = routeConsole(() => {}, target);
  const second = fakeConsole();
  const log = second.target.log;
  routeConsole(() => {}, second.target)();
  assert.equal(second.target.log, log);
  first();
  assert.equal(inJupyterKernel(), false);
  const consoleLog = console.log;
  routeConsoleToKernel();
  assert.equal(console.log, consoleLog);
});

Deno.test("holdCellEnd sends queued text before the cell's value and holds the reply", async () => {
  const { target } = fakeConsole();
  const events: string[] = [];
  const restore = routeConsole((_name, text) => void events.push(`text ${text.trim()}`), target);
  const internals = {
    jupyter: {
      broadcastResult: (count: number, result: unknown) => {
        events.push(`result ${count} ${result}`);
        return Promise.resolve();
      },
    },
  };
  try {
    assert.equal(holdCellEnd(internals, 30), true);
    target.log("last line");
    const t0 = performance.now();
    // The kernel calls the hook right after the cell's code, before any microtask ran.
    await internals.jupyter.broadcastResult(7, 42);
    const held = performance.now() - t0;
    assert.deepEqual(events, ["text last line", "result 7 42"]);
    assert.ok(held >= 25, `the hook returned after ${held.toFixed(1)} ms, not ~30`);
  } finally {
    restore();
  }
  assert.equal(holdCellEnd({}), false);
  assert.equal(holdCellEnd(undefined), false);
});
