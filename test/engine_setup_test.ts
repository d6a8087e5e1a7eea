import assert from "node:assert/strict";
import {
  chooseEngineRoute,
  describeEngineRoute,
  type EngineProbes,
  type NativeProbe,
  ONEDNN_APT_COMMAND,
  setUpEngine,
} from "../scripts/lessons/engine_setup.ts";
import type { Runner } from "../scripts/lessons/jupyter_setup.ts";

const MISSING: NativeProbe = {
  ok: false,
  reason: "libdnnl.so.2: cannot open shared object file: No such file or directory",
};
const FOUND: NativeProbe = { ok: true, description: "oneDNN 2.6.3, /usr/lib/libdnnl.so.2.6" };

/** A machine described by plain values; `natives` answers the oneDNN probe call by call. */
function stub(m: { natives: NativeProbe[]; root?: boolean; debian?: boolean }) {
  const asked: string[] = [];
  const answer = <T>(name: string, value: T) => () => {
    asked.push(name);
    return Promise.resolve(value);
  };
  const natives = [...m.natives];
  const probes: EngineProbes = {
    native: () => {
      asked.push("native");
      return Promise.resolve(natives.length > 1 ? natives.shift()! : natives[0]);
    },
    isRoot: answer("isRoot", m.root ?? true),
    isDebianLike: answer("isDebianLike", m.debian ?? true),
    hasAptGet: answer("hasAptGet", m.debian ?? true),
  };
  return { probes, asked };
}

function recorder(fail = false) {
  const calls: string[] = [];
  const run: Runner = (cmd, args) => {
    calls.push([cmd, ...args].join(" "));
    return Promise.resolve(!fail);
  };
  return { calls, run };
}

Deno.test("engine: oneDNN found is used as it is; nothing else is asked or run", async () => {
  const { probes, asked } = stub({ natives: [FOUND] });
  const { calls, run } = recorder();
  const lines: string[] = [];
  const route = await setUpEngine({ probes, run, env: {}, log: (l) => lines.push(l) });
  assert.deepEqual(route, { kind: "native", description: FOUND.ok && FOUND.description });
  assert.deepEqual(asked, ["native"]);
  assert.deepEqual(calls, []);
  assert.deepEqual(lines, [
    "Engine: wasm with the native oneDNN layer (oneDNN 2.6.3, /usr/lib/libdnnl.so.2.6)",
  ]);
});

Deno.test("engine: missing on Debian as root, libdnnl2 is installed and loaded", async () => {
  const { probes } = stub({ natives: [MISSING, FOUND] });
  const { calls, run } = recorder();
  const lines: string[] = [];
  const route = await setUpEngine({ probes, run, env: {}, log: (l) => lines.push(l) });
  assert.equal(route.kind, "native");
  assert.deepEqual(calls, [
    "apt-get update",
    "apt-get install -y --no-install-recommends libdnnl2",
  ]);
  assert.match(lines[0], /^Engine: oneDNN 2 could not be loaded \(libdnnl\.so\.2: cannot open/);
  assert.match(lines[0], /installing Debian's libdnnl2 with apt-get/);
  assert.match(lines[1], /native oneDNN layer \(oneDNN 2\.6\.3, .*\), installed now$/);
});

Deno.test("engine: missing without root, the one command is printed and the run goes on", async () => {
  const { probes } = stub({ natives: [MISSING], root: false });
  const { calls, run } = recorder();
  const lines: string[] = [];
  const route = await setUpEngine({ probes, run, env: {}, log: (l) => lines.push(l) });
  assert.deepEqual(route, {
    kind: "manual",
    why: `oneDNN 2 could not be loaded (${!MISSING.ok && MISSING.reason})`,
    command: `sudo ${ONEDNN_APT_COMMAND}`,
  });
  assert.deepEqual(calls, []);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^Engine: the pure wasm path, about 3\.5x slower/);
  assert.ok(lines[0].includes("\n    sudo apt-get install -y --no-install-recommends libdnnl2\n"));
});

Deno.test("engine: off Debian, no command to give; KD_NATIVE=0 is not second-guessed", async () => {
  const other = stub({ natives: [MISSING], debian: false });
  const route = await chooseEngineRoute(other.probes, {});
  assert.equal(route.kind, "manual");
  assert.match(describeEngineRoute(route), /needs oneDNN 2\.x \(libdnnl\.so\.2/);
  assert.ok(!other.asked.includes("isRoot"));

  const off = stub({ natives: [FOUND] });
  const wasm = await chooseEngineRoute(off.probes, { KD_NATIVE: "0" });
  assert.deepEqual(wasm, { kind: "wasm", why: "KD_NATIVE=0 turns the native engine off" });
  assert.deepEqual(off.asked, []);
});

Deno.test("engine: a KD_NATIVE_LIB that fails is reported, not replaced by an install", async () => {
  const { probes, asked } = stub({ natives: [MISSING] });
  const route = await chooseEngineRoute(probes, { KD_NATIVE_LIB: "/opt/dnnl/libdnnl.so.2" });
  assert.equal(route.kind, "wasm");
  assert.match(
    describeEngineRoute(route),
    /KD_NATIVE_LIB=\/opt\/dnnl\/libdnnl\.so\.2 cannot be used/,
  );
  assert.deepEqual(asked, ["native"]);
});

Deno.test("engine: a failed apt-get falls back to wasm with the command, never throws", async () => {
  const { probes } = stub({ natives: [MISSING] });
  const { run } = recorder(true);
  const lines: string[] = [];
  const route = await setUpEngine({ probes, run, env: {}, log: (l) => lines.push(l) });
  assert.deepEqual(route, {
    kind: "manual",
    why: "apt-get could not install libdnnl2 (see its output above)",
    command: ONEDNN_APT_COMMAND,
  });
  assert.equal(lines.length, 2);
  assert.ok(lines[1].includes(`\n    ${ONEDNN_APT_COMMAND}\n`));
});
