/**
 * scripts/bench/torch_setup.ts with its probes and commands stubbed (the route each situation
 * takes, what it runs), and its version probe run by a real python3 against stand-in modules.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Client, Probes, Runner } from "../scripts/lessons/jupyter_setup.ts";
import { venvPython } from "../scripts/lessons/jupyter_setup.ts";
import {
  BENCH_VENV_DIR,
  setUpBenchTorch,
  TORCH_PIP_PACKAGES,
  TORCH_PROBE,
  TorchSetupError,
} from "../scripts/bench/torch_setup.ts";

const PINNED = "torch 2.13.0+cpu, numpy 2.2.6";

interface Machine {
  venvClient?: Client;
  venvExists?: boolean;
  systemClient?: Client;
  venvBase?: string;
  /** What the venv's probe answers from its second call on (after an install). */
  afterInstall?: Client;
}

function stub(m: Machine): Probes {
  let asked = 0;
  return {
    venvClient: () => Promise.resolve(asked++ === 0 ? m.venvClient : m.afterInstall),
    venvExists: () => Promise.resolve(m.venvExists ?? m.venvClient !== undefined),
    venvRuns: () => Promise.resolve(m.venvExists ?? false),
    systemClient: () => Promise.resolve(m.systemClient),
    hasPython: () => Promise.resolve(true),
    venvBase: () => Promise.resolve(m.venvBase),
    pipReachesIndex: () => Promise.resolve(true),
    isRoot: () => Promise.resolve(true),
    isDebianLike: () => Promise.resolve(true),
    hasAptGet: () => Promise.resolve(true),
    os: () => Promise.resolve("linux"),
  };
}

function recorder(ok = true): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: (cmd, args) => {
      calls.push([cmd, ...args].join(" "));
      return Promise.resolve(ok);
    },
  };
}

Deno.test("bench torch: a venv with the pinned build is reused, nothing installed", async () => {
  const root = "/repo";
  const client = { python: venvPython(join(root, BENCH_VENV_DIR)), versions: PINNED };
  const { run, calls } = recorder();
  const lines: string[] = [];
  const got = await setUpBenchTorch({
    root,
    probes: stub({ venvClient: client }),
    run,
    log: (l) => lines.push(l),
  });
  assert.deepEqual(got, client);
  assert.deepEqual(calls, []);
  assert.deepEqual(lines, [`PyTorch: the bench venv /repo/.venv-bench/ (${PINNED})`]);
});

Deno.test("bench torch: no build anywhere makes the venv and pip-installs the pins", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venv = join(root, BENCH_VENV_DIR);
    const afterInstall = { python: venvPython(venv), versions: PINNED };
    const { run, calls } = recorder();
    const got = await setUpBenchTorch({
      root,
      probes: stub({ venvBase: "python3", afterInstall }),
      run,
      log: () => {},
    });
    assert.deepEqual(got, afterInstall);
    assert.deepEqual(calls, [
      `python3 -m venv ${venv}`,
      `${venvPython(venv)} -m pip install --disable-pip-version-check --retries 1 --timeout 30 ` +
      "torch==2.13.0 numpy==2.2.6",
    ]);
    assert.deepEqual(TORCH_PIP_PACKAGES, ["torch==2.13.0", "numpy==2.2.6"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench torch: a venv with another torch is rebuilt from nothing", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venv = join(root, BENCH_VENV_DIR);
    await Deno.mkdir(join(venv, "stale"), { recursive: true });
    const afterInstall = { python: venvPython(venv), versions: PINNED };
    const { run } = recorder();
    const lines: string[] = [];
    await setUpBenchTorch({
      root,
      probes: stub({ venvExists: true, venvBase: "python3", afterInstall }),
      run: async (cmd, args) => {
        // The old folder is gone before the new venv is made.
        await assert.rejects(Deno.stat(join(venv, "stale")), Deno.errors.NotFound);
        return await run(cmd, args);
      },
      log: (l) => lines.push(l),
    });
    assert.match(lines[0], /^PyTorch: rebuilding the bench venv /);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench torch: a failed pip install leaves no folder and names both ways out", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venv = join(root, BENCH_VENV_DIR);
    const { run } = recorder(false);
    const failing: Runner = async (cmd, args) => {
      await Deno.mkdir(venv, { recursive: true }); // as `python3 -m venv` would
      return await run(cmd, args);
    };
    const err = await setUpBenchTorch({
      root,
      probes: stub({ venvBase: "python3" }),
      run: failing,
      log: () => {},
    }).catch((e) => e);
    assert.ok(err instanceof TorchSetupError);
    assert.match(
      err.message,
      new RegExp(`python3 -m venv ${venv} && ${venvPython(venv)} -m pip install torch==2\\.13\\.0`),
    );
    assert.match(err.message, /KD_BENCH_PYTHON=\/usr\/bin\/python3/);
    await assert.rejects(Deno.stat(venv), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bench torch: without a python that makes venvs, an error and no install", async () => {
  const { run, calls } = recorder();
  const err = await setUpBenchTorch({ root: "/repo", probes: stub({}), run, log: () => {} })
    .catch((e) => e);
  assert.ok(err instanceof TorchSetupError);
  assert.match(err.message, /no python3 here can make the bench venv/);
  assert.deepEqual(calls, []);
});

/** Runs TORCH_PROBE with stand-in torch and numpy modules of the given versions. */
async function probeWith(torchVersion: string): Promise<{ code: number; out: string }> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "torch.py"), `__version__ = "${torchVersion}"\n`);
    await Deno.writeTextFile(join(dir, "numpy.py"), `__version__ = "2.2.6"\n`);
    const out = await new Deno.Command("python3", {
      args: ["-c", TORCH_PROBE],
      env: { PYTHONPATH: dir },
      stdout: "piped",
      stderr: "null",
    }).output();
    return { code: out.code, out: new TextDecoder().decode(out.stdout).trim() };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bench torch: the probe accepts the pinned release with a local label only", async () => {
  assert.deepEqual(await probeWith("2.13.0+cpu"), { code: 0, out: PINNED });
  assert.deepEqual(await probeWith("2.13.0"), {
    code: 0,
    out: "torch 2.13.0, numpy 2.2.6",
  });
  // Debian's 1.13 and a newer pip release both fail it, so the venv is rebuilt.
  assert.deepEqual(await probeWith("1.13.0a0"), { code: 3, out: "" });
  assert.deepEqual(await probeWith("2.14.1"), { code: 3, out: "" });
});
