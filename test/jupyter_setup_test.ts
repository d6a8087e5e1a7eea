/**
 * scripts/lessons/jupyter_setup.ts with its probes and commands stubbed: the route for each situation,
 * what each route runs, and what the log and the messages say. Nothing here installs anything.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  APT_COMMAND,
  APT_PACKAGES,
  chooseRoute,
  type Client,
  describeRoute,
  isDebianLikeOsRelease,
  JupyterSetupError,
  LAB_CLIENT,
  LAB_PIP_PACKAGES,
  PIP_PACKAGES,
  type Probes,
  type Runner,
  setUpJupyter,
  VENV_DIR,
  venvCommand,
  venvPython,
} from "../scripts/lessons/jupyter_setup.ts";

const VENV = "/repo/.venv-jupyter";
const SYSTEM: Client = {
  python: "/usr/bin/python3",
  versions: "jupyter_client 7.4.9, nbformat 5.5.0, nbconvert 6.5.3",
};
const PINNED = "jupyter_client 8.10.0, nbformat 5.11.1, nbconvert 7.17.1";

/** A machine described by plain values; `asked` records which probes the route needed. */
interface Machine {
  venvClient?: Client;
  venvExists?: boolean;
  venvRuns?: boolean;
  systemClient?: Client;
  hasPython?: boolean;
  venvBase?: string;
  pipReachesIndex?: boolean;
  isRoot?: boolean;
  isDebianLike?: boolean;
  hasAptGet?: boolean;
  os?: string;
}

function stub(m: Machine): { probes: Probes; asked: string[] } {
  const asked: string[] = [];
  const answer = <T>(name: string, value: T) => () => {
    asked.push(name);
    return Promise.resolve(value);
  };
  return {
    asked,
    probes: {
      venvClient: answer("venvClient", m.venvClient),
      venvExists: answer("venvExists", m.venvExists ?? m.venvClient !== undefined),
      venvRuns: answer("venvRuns", m.venvRuns ?? false),
      systemClient: answer("systemClient", m.systemClient),
      hasPython: answer("hasPython", m.hasPython ?? true),
      venvBase: answer("venvBase", m.venvBase),
      pipReachesIndex: answer("pipReachesIndex", m.pipReachesIndex ?? false),
      isRoot: answer("isRoot", m.isRoot ?? false),
      isDebianLike: answer("isDebianLike", m.isDebianLike ?? false),
      hasAptGet: answer("hasAptGet", m.hasAptGet ?? false),
      os: answer("os", m.os ?? "linux"),
    },
  };
}

/** Our CI machines: Debian, root, python3 with venv, no reachable index, no client yet. */
const CI: Machine = {
  venvBase: "python3",
  pipReachesIndex: false,
  isRoot: true,
  isDebianLike: true,
  hasAptGet: true,
};

Deno.test("route: a working project venv is reused without asking anything else", async () => {
  const venvClient = { python: venvPython(VENV), versions: PINNED };
  const { probes, asked } = stub({ ...CI, venvClient, systemClient: SYSTEM });
  assert.deepEqual(await chooseRoute(probes, VENV), { kind: "reuse-venv", client: venvClient });
  assert.deepEqual(asked, ["venvClient"]);
});

Deno.test("route: an installed system client is reused; pip's index is never probed", async () => {
  const { probes, asked } = stub({ ...CI, systemClient: SYSTEM });
  assert.deepEqual(await chooseRoute(probes, VENV), {
    kind: "reuse-system",
    client: SYSTEM,
    brokenVenv: false,
  });
  assert.deepEqual(asked, ["venvClient", "venvExists", "systemClient"]);
});

Deno.test("route: a broken venv beside a system client is reported, not used", async () => {
  const { probes } = stub({ ...CI, venvExists: true, systemClient: SYSTEM });
  const route = await chooseRoute(probes, VENV);
  assert.deepEqual(route, { kind: "reuse-system", client: SYSTEM, brokenVenv: true });
  assert.match(describeRoute(route, VENV), /\.venv-jupyter\/ is broken .* not used/);
});

Deno.test("route: no client and pip reaches its index: a new project venv", async () => {
  const { probes, asked } = stub({ ...CI, pipReachesIndex: true });
  assert.deepEqual(await chooseRoute(probes, VENV), {
    kind: "venv",
    base: "python3",
    rebuild: false,
  });
  assert.ok(!asked.includes("isRoot"), "apt's conditions are not asked when pip works");
});

Deno.test("route: a broken venv (its python fails the probe) is rebuilt", async () => {
  const { probes } = stub({ ...CI, venvExists: true, pipReachesIndex: true });
  assert.deepEqual(await chooseRoute(probes, VENV), {
    kind: "venv",
    base: "python3",
    rebuild: true,
  });
});

Deno.test("route: index unreachable, root on Debian: apt", async () => {
  const { probes } = stub(CI);
  const route = await chooseRoute(probes, VENV);
  assert.equal(route.kind, "apt");
  assert.match(describeRoute(route, VENV), /pip could not fetch jupyter_client==8\.10\.0/);
});

Deno.test("route: no python3 at all, root on Debian: apt (its packages bring python3)", async () => {
  const { probes } = stub({ ...CI, venvBase: undefined, hasPython: false });
  const route = await chooseRoute(probes, VENV);
  assert.deepEqual(route, { kind: "apt", why: "python3 is not installed" });
});

Deno.test("route: Debian without root: the message names sudo apt-get with the packages", async () => {
  const { probes } = stub({ ...CI, isRoot: false });
  const route = await chooseRoute(probes, VENV);
  assert.equal(route.kind, "manual");
  const message = describeRoute(route, VENV);
  assert.ok(
    message.includes(
      "\n    sudo apt-get install -y --no-install-recommends python3-nbclient python3-nbformat " +
        "jupyter-client jupyter-nbconvert\n",
    ),
    message,
  );
  assert.match(message, /then run `deno task lessons` again/);
});

Deno.test("route: no apt and no index: the message names the venv command to run", async () => {
  const { probes } = stub({ ...CI, isDebianLike: false, hasAptGet: false, os: "darwin" });
  const route = await chooseRoute(probes, VENV);
  const command = `python3 -m venv ${VENV} && ${VENV}/bin/pip install jupyter_client==8.10.0 ` +
    "nbclient==0.11.0 nbconvert==7.17.1 nbformat==5.11.1";
  assert.equal(venvCommand(VENV, "darwin"), command);
  assert.deepEqual(route, {
    kind: "manual",
    why: "pip could not fetch jupyter_client==8.10.0 nbclient==0.11.0 nbconvert==7.17.1 " +
      "nbformat==5.11.1 within 5 s (no reachable package index)",
    command,
    note: "where pip can reach a package index (set PIP_INDEX_URL to a mirror if PyPI is blocked)",
  });
  assert.ok(describeRoute(route, VENV).includes(`\n    ${command}\n`));
});

Deno.test("route: Debian's apt without its name on PATH is not taken", async () => {
  const { probes } = stub({ ...CI, hasAptGet: false });
  assert.equal((await chooseRoute(probes, VENV)).kind, "manual");
});

Deno.test("route: a python3 without venv support: pip install --user", async () => {
  const { probes } = stub({ hasPython: true, venvBase: undefined });
  const route = await chooseRoute(probes, VENV);
  assert.equal(
    route.kind === "manual" && route.command,
    `python3 -m pip install --user ${PIP_PACKAGES.join(" ")}`,
  );
  assert.match(describeRoute(route, VENV), /no python3 here can create a venv/);
});

Deno.test("route: no python3 on macOS or elsewhere: how to get one", async () => {
  const mac = await chooseRoute(stub({ hasPython: false, os: "darwin" }).probes, VENV);
  assert.equal(mac.kind === "manual" && mac.command, "brew install python");
  const other = await chooseRoute(stub({ hasPython: false, os: "linux" }).probes, VENV);
  assert.equal(
    describeRoute(other, VENV),
    "Jupyter is needed to run the notebooks, and none was found: python3 is not installed. " +
      "Please install Python 3.10 or newer (https://www.python.org/downloads/), " +
      "then run `deno task lessons` again.",
  );
});

Deno.test("messages: each route says what it installs, where, and how to undo it", () => {
  const venv = describeRoute({ kind: "venv", base: "python3", rebuild: false }, VENV);
  assert.match(venv, /creating the project venv \/repo\/\.venv-jupyter\//);
  assert.match(
    venv,
    /jupyter_client==8\.10\.0 nbclient==0\.11\.0 nbconvert==7\.17\.1 nbformat==5\.11\.1/,
  );
  assert.match(venv, /delete \/repo\/\.venv-jupyter\/ to undo/);
  const rebuild = describeRoute({ kind: "venv", base: "python3", rebuild: true }, VENV);
  assert.match(rebuild, /is broken \(its python fails to import the client\): rebuilding it/);
  const apt = describeRoute({ kind: "apt", why: "x" }, VENV);
  assert.match(
    apt,
    /installing Debian's python3-nbclient python3-nbformat jupyter-client jupyter-nbconvert system-wide with apt-get/,
  );
  assert.match(apt, /undo: apt-get remove python3-nbclient/);
  assert.equal(
    describeRoute({ kind: "reuse-system", client: SYSTEM, brokenVenv: false }, VENV),
    "Jupyter: reusing the client already installed for /usr/bin/python3 " +
      "(jupyter_client 7.4.9, nbformat 5.5.0, nbconvert 6.5.3)",
  );
  assert.match(
    describeRoute({ kind: "reuse-venv", client: { python: "p", versions: PINNED } }, VENV),
    /^Jupyter: reusing the project venv \/repo\/\.venv-jupyter\/ \(jupyter_client 8\.10\.0/,
  );
});

Deno.test("os-release: Debian, Ubuntu and derivatives count; Fedora and Alpine do not", () => {
  assert.equal(isDebianLikeOsRelease('PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\n'), true);
  assert.equal(isDebianLikeOsRelease("ID=ubuntu\nID_LIKE=debian\n"), true);
  assert.equal(isDebianLikeOsRelease('ID=linuxmint\nID_LIKE="ubuntu debian"\n'), true);
  assert.equal(isDebianLikeOsRelease('ID=fedora\nID_LIKE="rhel centos"\n'), false);
  assert.equal(isDebianLikeOsRelease("ID=alpine\n"), false);
  assert.equal(isDebianLikeOsRelease("ID=debianish\n"), false);
});

// ---- carrying the route out, with commands recorded instead of run ----

interface Call {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
}

function recorder(fail: (c: Call) => boolean = () => false, after?: (c: Call) => void) {
  const calls: Call[] = [];
  const run: Runner = (cmd, args, options) => {
    const call = { cmd, args, env: options?.env };
    calls.push(call);
    after?.(call);
    return Promise.resolve(!fail(call));
  };
  return { calls, run };
}

Deno.test("setUp: a reused client runs nothing and logs the reuse", async () => {
  const { calls, run } = recorder();
  const lines: string[] = [];
  const { probes } = stub({ ...CI, systemClient: SYSTEM });
  const python = await setUpJupyter({ root: "/repo", probes, run, log: (l) => lines.push(l) });
  assert.equal(python, "/usr/bin/python3");
  assert.deepEqual(calls, []);
  assert.deepEqual(lines, [
    "Jupyter: reusing the client already installed for /usr/bin/python3 " +
    "(jupyter_client 7.4.9, nbformat 5.5.0, nbconvert 6.5.3)",
  ]);
});

Deno.test("setUp: the venv route makes the venv, pip-installs the pins, returns its python", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venvDir = join(root, VENV_DIR);
    const made = stub({ ...CI, pipReachesIndex: true });
    let installed = false;
    const { calls, run } = recorder(() => false, (c) => {
      if (c.args.includes("install")) installed = true;
    });
    const probes: Probes = {
      ...made.probes,
      venvClient: () =>
        Promise.resolve(installed ? { python: venvPython(venvDir), versions: PINNED } : undefined),
    };
    const lines: string[] = [];
    const python = await setUpJupyter({ root, probes, run, log: (l) => lines.push(l) });
    assert.equal(python, venvPython(venvDir));
    assert.deepEqual(calls.map((c) => [c.cmd, ...c.args]), [
      ["python3", "-m", "venv", venvDir],
      [
        venvPython(venvDir),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--retries",
        "1",
        "--timeout",
        "30",
        ...PIP_PACKAGES,
      ],
    ]);
    assert.equal(lines.length, 2);
    assert.match(lines[0], /creating the project venv/);
    assert.equal(lines[1], `Jupyter: installed ${PINNED} into ${venvDir}/ (venv route)`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("setUp: a broken venv is deleted before it is rebuilt", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venvDir = join(root, VENV_DIR);
    await Deno.mkdir(join(venvDir, "bin"), { recursive: true });
    await Deno.writeTextFile(join(venvDir, "stale"), "left by a broken install");
    let existedAtVenv: boolean | undefined;
    const { run } = recorder(() => false, (c) => {
      if (c.args[1] === "venv") existedAtVenv = existsSync(join(venvDir, "stale"));
    });
    const { probes } = stub({ ...CI, venvExists: true, pipReachesIndex: true });
    const withClient: Probes = {
      ...probes,
      venvClient: () =>
        Promise.resolve(
          existedAtVenv === false ? { python: venvPython(venvDir), versions: PINNED } : undefined,
        ),
    };
    const lines: string[] = [];
    await setUpJupyter({ root, probes: withClient, run, log: (l) => lines.push(l) });
    assert.equal(existedAtVenv, false, "the old folder was gone when `venv` ran");
    assert.match(lines[0], /is broken .*: rebuilding it/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("setUp: the apt route runs apt-get update and install, then reuses on the next run", async () => {
  let aptDone = false;
  const { calls, run } = recorder(() => false, (c) => {
    if (c.args[0] === "install") aptDone = true;
  });
  const { probes } = stub(CI);
  const machine: Probes = {
    ...probes,
    systemClient: () => Promise.resolve(aptDone ? SYSTEM : undefined),
  };
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  assert.equal(await setUpJupyter({ root: "/repo", probes: machine, run, log }), SYSTEM.python);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  assert.deepEqual(calls, [
    { cmd: "apt-get", args: ["update"], env },
    {
      cmd: "apt-get",
      args: ["install", "-y", "--no-install-recommends", ...APT_PACKAGES],
      env,
    },
  ]);
  assert.match(lines[0], /^Jupyter: no client found and pip could not fetch .* with apt-get/);
  assert.equal(lines[1], `Jupyter: installed ${SYSTEM.versions} for /usr/bin/python3 (apt route)`);

  // The second run (as in .ci/run) installs nothing and says it reused the client.
  lines.length = 0;
  await setUpJupyter({ root: "/repo", probes: machine, run, log });
  assert.equal(calls.length, 2);
  assert.deepEqual(lines, [
    `Jupyter: reusing the client already installed for /usr/bin/python3 (${SYSTEM.versions})`,
  ]);
});

Deno.test("setUp: a failed pip install removes the venv and falls back to apt", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venvDir = join(root, VENV_DIR);
    let aptDone = false;
    const { calls, run } = recorder(
      (c) => c.args.includes("pip"),
      (c) => {
        if (c.args[1] === "venv") Deno.mkdirSync(venvDir);
        if (c.cmd === "apt-get" && c.args[0] === "install") aptDone = true;
      },
    );
    const { probes } = stub({ ...CI, pipReachesIndex: true });
    const machine: Probes = {
      ...probes,
      systemClient: () => Promise.resolve(aptDone ? SYSTEM : undefined),
    };
    const lines: string[] = [];
    const python = await setUpJupyter({ root, probes: machine, run, log: (l) => lines.push(l) });
    assert.equal(python, SYSTEM.python);
    assert.equal(existsSync(venvDir), false, "no half-built venv is left");
    assert.deepEqual(calls.map((c) => `${c.cmd} ${c.args[0]} ${c.args[1]}`), [
      "python3 -m venv",
      `${venvPython(venvDir)} -m pip`,
      "apt-get update undefined",
      "apt-get install -y",
    ]);
    assert.match(
      lines[1],
      /pip could not set up .*\.venv-jupyter\/ \(see its output above; the folder is removed\)/,
    );
    assert.match(lines[2], /with apt-get/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("setUp: a failed apt-get throws with the command to run", async () => {
  const { run } = recorder((c) => c.args[0] === "install");
  const { probes } = stub(CI);
  await assert.rejects(
    setUpJupyter({ root: "/repo", probes, run, log: () => {} }),
    (e: unknown) =>
      e instanceof JupyterSetupError &&
      e.message.includes("apt-get could not install") &&
      e.message.includes(`\`${APT_COMMAND}\``),
  );
});

Deno.test("setUp: the manual route runs nothing and throws its message", async () => {
  const { calls, run } = recorder();
  const { probes } = stub({ ...CI, isRoot: false });
  const lines: string[] = [];
  await assert.rejects(
    setUpJupyter({ root: "/repo", probes, run, log: (l) => lines.push(l) }),
    (e: unknown) => e instanceof JupyterSetupError && e.message.includes(`sudo ${APT_COMMAND}`),
  );
  assert.deepEqual(calls, []);
  assert.deepEqual(lines, [], "the message is the error, printed once by the caller");
});

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

// ---- the learner's clients (deno task lab) ----

Deno.test("lab route: a lessons venv lacking JupyterLab is added to, not rebuilt", async () => {
  const { probes, asked } = stub({
    ...CI,
    venvExists: true,
    venvRuns: true,
    pipReachesIndex: true,
  });
  const route = await chooseRoute(probes, VENV, LAB_CLIENT);
  assert.deepEqual(route, { kind: "venv", base: venvPython(VENV), rebuild: false, addTo: true });
  assert.ok(asked.includes("venvRuns"));
  assert.equal(
    describeRoute(route, VENV, LAB_CLIENT),
    `Jupyter: adding ${LAB_PIP_PACKAGES.join(" ")} to the project venv ${VENV}/ with pip ` +
      `(a few minutes; delete ${VENV}/ to undo)`,
  );
  // The lessons' own client still rebuilds a venv whose python cannot import it.
  const lessons = stub({ ...CI, venvExists: true, venvRuns: true, pipReachesIndex: true });
  assert.deepEqual(await chooseRoute(lessons.probes, VENV), {
    kind: "venv",
    base: "python3",
    rebuild: true,
  });
  assert.ok(!lessons.asked.includes("venvRuns"));
});

Deno.test("lab route: no apt-get fallback (Debian has no JupyterLab); the venv command instead", async () => {
  const { probes } = stub({ ...CI, pipReachesIndex: false });
  const route = await chooseRoute(probes, VENV, LAB_CLIENT);
  assert.equal(route.kind, "manual");
  const message = describeRoute(route, VENV, LAB_CLIENT);
  assert.ok(message.includes(venvCommand(VENV, "linux", LAB_CLIENT)), message);
  assert.ok(message.includes("jupyterlab==4.6.4 notebook==7.6.3"), message);
  assert.match(message, /then run `deno task lab` again\.$/);
});

Deno.test("setUp: the lab client pip-installs into the existing venv without recreating it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const venvDir = join(root, VENV_DIR);
    const machine = stub({ ...CI, venvExists: true, venvRuns: true, pipReachesIndex: true });
    let installed = false;
    const { calls, run } = recorder(() => false, (c) => {
      if (c.args.includes("install")) installed = true;
    });
    const probes: Probes = {
      ...machine.probes,
      venvClient: () =>
        Promise.resolve(installed ? { python: venvPython(venvDir), versions: PINNED } : undefined),
    };
    const python = await setUpJupyter({ root, probes, run, log: () => {}, client: LAB_CLIENT });
    assert.equal(python, venvPython(venvDir));
    assert.deepEqual(calls.map((c) => [c.cmd, ...c.args.slice(0, 3), ...c.args.slice(8)]), [
      [venvPython(venvDir), "-m", "pip", "install", ...LAB_PIP_PACKAGES],
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
