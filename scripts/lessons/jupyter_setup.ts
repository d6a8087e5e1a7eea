/**
 * Finds a Python with the Jupyter client that scripts/lessons/execute_notebooks.py needs, or installs one.
 * Routes, in order of preference:
 *
 * 1. reuse: the project venv (`.venv-jupyter/`) or a system Python already imports the client;
 * 2. venv: `python3 -m venv .venv-jupyter`, then `pip install` of the pinned packages (nothing
 *    outside the project changes; deleting the folder undoes it);
 * 3. apt: when pip cannot fetch the packages but we are root on Debian/Ubuntu, Debian's packages;
 * 4. manual: one message with the command for this machine, and the caller exits non-zero.
 *
 * `chooseRoute` decides from injected probes only (tests stub them); `setUpJupyter` carries the
 * route out and returns the Python to run the executor with.
 *
 * The learner's clients (`deno task lab`: JupyterLab and Notebook 7, LAB_CLIENT) go into the same
 * venv by the same routes, except apt (Debian packages neither); a venv the lessons made is added
 * to rather than rebuilt.
 */
import { join } from "node:path";

/** The project-local venv, relative to the repository root (git-ignored). */
export const VENV_DIR = ".venv-jupyter";

/**
 * Pinned so every venv gets the versions the executor was checked with (they need Python 3.10+).
 * nbclient is not imported by the executor, but nbconvert depends on it: pinning it too keeps the
 * set reproducible.
 */
export const PIP_PACKAGES = [
  "jupyter_client==8.10.0",
  "nbclient==0.11.0",
  "nbconvert==7.17.1",
  "nbformat==5.11.1",
] as const;

/**
 * pip's default of 5 retries with back-off costs seconds per package for every configured index it
 * cannot reach (four minutes for this set where a local mirror sits beside an unreachable PyPI);
 * one retry still rides out a dropped connection.
 */
export const PIP_INSTALL_LIMITS = ["--retries", "1", "--timeout", "30"] as const;

/** The pinned learner's clients on top of PIP_PACKAGES (JupyterLab 4, Notebook 7 built on it). */
export const LAB_PIP_PACKAGES = [...PIP_PACKAGES, "jupyterlab==4.6.4", "notebook==7.6.3"] as const;

/** Debian's packages of the same client (what .ci/run used to install). */
export const APT_PACKAGES = [
  "python3-nbclient",
  "python3-nbformat",
  "jupyter-client",
  "jupyter-nbconvert",
] as const;

/** Where a system client is looked for: Debian's packages live under /usr/bin/python3. */
export const SYSTEM_PYTHONS = ["/usr/bin/python3", "python3"] as const;

/** Seconds pip may wait for its index: the probe must not hang where there is no network. */
export const PIP_PROBE_TIMEOUT_S = 5;

/**
 * What execute_notebooks.py imports (HTMLExporter lazily, for the reports); prints the versions,
 * which the log shows.
 */
export const CLIENT_PROBE = [
  "import jupyter_client, nbformat, nbconvert",
  "from jupyter_client.manager import KernelManager",
  "from nbformat.v4 import output_from_msg",
  "from nbconvert import HTMLExporter",
  "print(f'jupyter_client {jupyter_client.__version__}, nbformat {nbformat.__version__}, " +
  "nbconvert {nbconvert.__version__}')",
].join("; ");

/** LAB_CLIENT's probe: the lessons' client and both servers. */
export const LAB_PROBE = `${CLIENT_PROBE}; import jupyterlab, notebook; ` +
  "print(f'jupyterlab {jupyterlab.__version__}, notebook {notebook.__version__}')";

/** One Python environment the setup can provide, and what it is for. */
export interface ClientSpec {
  /** The task whose setup this is, named in messages ("deno task lessons"). */
  task: string;
  pipPackages: readonly string[];
  /** Python code that imports what is needed and prints the versions. */
  probe: string;
  /** Debian's packages of it, where Debian has them. */
  aptPackages?: readonly string[];
  /** Added to a project venv that lacks it (one the lessons made) instead of rebuilding it. */
  addsToVenv: boolean;
}

/** The notebook executor's client (`deno task lessons`). */
export const LESSONS_CLIENT: ClientSpec = {
  task: "deno task lessons",
  pipPackages: PIP_PACKAGES,
  probe: CLIENT_PROBE,
  aptPackages: APT_PACKAGES,
  addsToVenv: false,
};

/** JupyterLab and Notebook 7 for the learner (`deno task lab`). */
export const LAB_CLIENT: ClientSpec = {
  task: "deno task lab",
  pipPackages: LAB_PIP_PACKAGES,
  probe: LAB_PROBE,
  addsToVenv: true,
};

/** A Python that can make a venv with pip (ensurepip) and is new enough for the pins. */
const VENV_BASE_PROBE =
  "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)";

/** A Python that imports the client, and the versions it reported. */
export interface Client {
  python: string;
  versions: string;
}

/**
 * The facts the route depends on. Each is asked only when the answer matters (the pip probe, which
 * may touch the network, runs only when nothing is installed yet).
 */
export interface Probes {
  /** The project venv's python when it imports the client; undefined without a working venv. */
  venvClient(): Promise<Client | undefined>;
  /** The venv folder exists (with `venvClient` undefined: it is broken, or lacks the client). */
  venvExists(): Promise<boolean>;
  /** The venv's python runs its pip (so a client that adds to a venv can be installed into it). */
  venvRuns(): Promise<boolean>;
  /** The first of SYSTEM_PYTHONS that imports the client. */
  systemClient(): Promise<Client | undefined>;
  /** Some `python3` is on this machine at all. */
  hasPython(): Promise<boolean>;
  /** A python3 (3.10+) that can create a venv with pip, or undefined. */
  venvBase(): Promise<string | undefined>;
  /** `base`'s pip can fetch PIP_PACKAGES from the index it is configured with, within seconds. */
  pipReachesIndex(base: string): Promise<boolean>;
  isRoot(): Promise<boolean>;
  isDebianLike(): Promise<boolean>;
  hasAptGet(): Promise<boolean>;
  /** `Deno.build.os`; picks the wording of the manual command. */
  os(): Promise<string>;
}

export type Route =
  | { kind: "reuse-venv"; client: Client }
  | { kind: "reuse-system"; client: Client; brokenVenv: boolean }
  | { kind: "venv"; base: string; rebuild: boolean; addTo?: boolean }
  | { kind: "apt"; why: string }
  | { kind: "manual"; why: string; command?: string; note?: string };

const APT_LIST = APT_PACKAGES.join(" ");
/** Debian's install line, as root would type it. */
export const APT_COMMAND = `apt-get install -y --no-install-recommends ${APT_LIST}`;

/** The venv route as one line a user can type anywhere (absolute paths). */
export function venvCommand(venvDir: string, os: string, client = LESSONS_CLIENT): string {
  return `python3 -m venv ${venvDir} && ${venvPip(venvDir, os)} install ${
    client.pipPackages.join(" ")
  }`;
}

/** The route for the venv at `venvDir`, asking `probes` lazily, in order of preference. */
export async function chooseRoute(
  probes: Probes,
  venvDir: string,
  client: ClientSpec = LESSONS_CLIENT,
): Promise<Route> {
  const pipList = client.pipPackages.join(" ");
  const venvClient = await probes.venvClient();
  if (venvClient) return { kind: "reuse-venv", client: venvClient };
  const venvExists = await probes.venvExists();
  const addTo = venvExists && client.addsToVenv && (await probes.venvRuns());
  const brokenVenv = venvExists && !addTo;
  const systemClient = await probes.systemClient();
  if (systemClient) return { kind: "reuse-system", client: systemClient, brokenVenv };

  const base = await probes.venvBase();
  if (base && (await probes.pipReachesIndex(base))) {
    return addTo
      ? { kind: "venv", base: venvPython(venvDir), rebuild: false, addTo }
      : { kind: "venv", base, rebuild: brokenVenv };
  }
  const hasPython = base !== undefined || (await probes.hasPython());
  const why = base
    ? `pip could not fetch ${pipList} within ${PIP_PROBE_TIMEOUT_S} s (no reachable package index)`
    : hasPython
    ? "no python3 here can create a venv with pip (that needs Python 3.10+ with venv and ensurepip)"
    : "python3 is not installed";
  const debian = client.aptPackages !== undefined && (await probes.isDebianLike()) &&
    (await probes.hasAptGet());
  if (debian && (await probes.isRoot())) return { kind: "apt", why };
  if (debian) return { kind: "manual", why, command: `sudo ${APT_COMMAND}` };
  const os = await probes.os();
  if (!hasPython) {
    // No package manager we know: the user installs Python, and the next run makes the venv.
    return os === "darwin" ? { kind: "manual", why, command: "brew install python" } : {
      kind: "manual",
      why,
      note: "install Python 3.10 or newer (https://www.python.org/downloads/)",
    };
  }
  if (!base) {
    // Without venv support pip can still install for the user; the next run finds that client
    // as a system one.
    return { kind: "manual", why, command: `python3 -m pip install --user ${pipList}` };
  }
  return {
    kind: "manual",
    why,
    command: venvCommand(venvDir, os, client),
    note: "where pip can reach a package index (set PIP_INDEX_URL to a mirror if PyPI is blocked)",
  };
}

/** The log line saying which route this run takes, what it installs and where. */
export function describeRoute(
  route: Route,
  venvDir: string,
  client: ClientSpec = LESSONS_CLIENT,
): string {
  const venv = `${venvDir}/`;
  const pipList = client.pipPackages.join(" ");
  switch (route.kind) {
    case "reuse-venv":
      return `Jupyter: reusing the project venv ${venv} (${route.client.versions}), ` +
        `installed by an earlier run`;
    case "reuse-system":
      return `Jupyter: reusing the client already installed for ${route.client.python} ` +
        `(${route.client.versions})` +
        (route.brokenVenv
          ? `; ${venv} is broken (its python fails to import the client) and is not used`
          : "");
    case "venv":
      if (route.addTo) {
        return `Jupyter: adding ${pipList} to the project venv ${venv} with pip (a few ` +
          `minutes; delete ${venv} to undo)`;
      }
      return `Jupyter: no client found; ${
        route.rebuild
          ? `${venv} is broken (its python fails to import the client): rebuilding it`
          : `creating the project venv ${venv}`
      } with \`${route.base} -m venv\` and installing ${pipList} into it with pip ` +
        `(about a minute; delete ${venv} to undo)`;
    case "apt":
      return `Jupyter: no client found and ${route.why}; installing Debian's ${APT_LIST} ` +
        `system-wide with apt-get (about a minute; undo: apt-get remove ${APT_LIST})`;
    case "manual": {
      const head = `Jupyter is needed to run the notebooks, and none was found: ${route.why}.`;
      const tail = `then run \`${client.task}\` again.`;
      if (!route.command) return `${head} Please ${route.note}, ${tail}`;
      const where = route.note ? ` ${route.note}` : "";
      return `${head} Install it with this command${where}:\n\n    ${route.command}\n\n${tail}`;
    }
  }
}

/** A failure the user can act on; the message says what to run. */
export class JupyterSetupError extends Error {
  override name = "JupyterSetupError";
}

/**
 * Runs a command; true when it exits 0. With `quiet` its output is kept and shown only when it
 * fails, so a good install adds one line to the log, not hundreds.
 */
export type Runner = (
  cmd: string,
  args: string[],
  options?: { env?: Record<string, string>; quiet?: boolean },
) => Promise<boolean>;

export const runCommand: Runner = async (cmd, args, { env, quiet = false } = {}) => {
  const out = quiet ? "piped" : "inherit";
  try {
    const result = await new Deno.Command(cmd, { args, env, stdout: out, stderr: out }).output();
    if (quiet && !result.success) {
      await Deno.stderr.write(result.stdout);
      await Deno.stderr.write(result.stderr);
    }
    return result.success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      console.error(`${cmd}: not found`);
      return false;
    }
    throw e;
  }
};

export function venvPython(venvDir: string, os: string = Deno.build.os): string {
  return os === "windows" ? join(venvDir, "Scripts", "python.exe") : join(venvDir, "bin", "python");
}

function venvPip(venvDir: string, os: string): string {
  return os === "windows" ? join(venvDir, "Scripts", "pip.exe") : join(venvDir, "bin", "pip");
}

export interface SetUpOptions {
  /** The repository root: the venv is `root/.venv-jupyter`. */
  root: string;
  /** What to find or install (default: the lessons' executor client). */
  client?: ClientSpec;
  probes?: Probes;
  run?: Runner;
  log?: (line: string) => void;
}

/**
 * Finds or installs the client and returns the Python to run the executor with; throws
 * JupyterSetupError (with the command to run) where it cannot.
 */
export async function setUpJupyter(options: SetUpOptions): Promise<string> {
  const { run = runCommand, log = console.log, client: spec = LESSONS_CLIENT } = options;
  const venvDir = join(options.root, VENV_DIR);
  const probes = options.probes ?? machineProbes(venvDir, spec);
  let route = await chooseRoute(probes, venvDir, spec);
  if (route.kind !== "manual") log(describeRoute(route, venvDir, spec));

  if (route.kind === "venv") {
    const client = await installVenv(route, venvDir, run, probes, spec);
    if (client) {
      log(`Jupyter: installed ${client.versions} into ${venvDir}/ (venv route)`);
      return client.python;
    }
    // The probe fetched the pinned packages, yet a dependency or the install failed: carry on as
    // if pip could not reach its index, without leaving a half-built venv behind.
    await Deno.remove(venvDir, { recursive: true }).catch(() => {});
    log(`Jupyter: pip could not set up ${venvDir}/ (see its output above; the folder is removed)`);
    route = await chooseRoute(
      { ...probes, pipReachesIndex: () => Promise.resolve(false) },
      venvDir,
      spec,
    );
    if (route.kind !== "manual") log(describeRoute(route, venvDir, spec));
  }
  switch (route.kind) {
    case "reuse-venv":
    case "reuse-system":
      return route.client.python;
    case "venv":
      throw new Error("unreachable: the venv route was carried out above");
    case "apt": {
      const env = { DEBIAN_FRONTEND: "noninteractive" };
      const installed = (await run("apt-get", ["update"], { env, quiet: true })) &&
        (await run(
          "apt-get",
          ["install", "-y", "--no-install-recommends", ...APT_PACKAGES],
          { env, quiet: true },
        ));
      const client = installed ? await probes.systemClient() : undefined;
      if (!client) {
        throw new JupyterSetupError(
          installed
            ? `Jupyter: apt-get installed ${APT_LIST}, but no python3 imports the client ` +
              `afterwards (${SYSTEM_PYTHONS.join(", ")} were tried)`
            : `Jupyter: apt-get could not install ${APT_LIST} (see its output above); ` +
              `fix that and run \`${APT_COMMAND}\`, then \`deno task lessons\` again`,
        );
      }
      log(`Jupyter: installed ${client.versions} for ${client.python} (apt route)`);
      return client.python;
    }
    case "manual":
      throw new JupyterSetupError(describeRoute(route, venvDir, spec));
  }
}

/**
 * Creates (or rebuilds, or adds to) the venv and pip-installs the pins; the client when it then
 * imports.
 */
async function installVenv(
  route: { base: string; rebuild: boolean; addTo?: boolean },
  venvDir: string,
  run: Runner,
  probes: Probes,
  client: ClientSpec,
): Promise<Client | undefined> {
  // A venv that fails the probe is rebuilt from nothing: patching a broken one hides why it broke.
  if (route.rebuild) await Deno.remove(venvDir, { recursive: true });
  const pip = ["-m", "pip", "install", "--disable-pip-version-check", ...PIP_INSTALL_LIMITS];
  const made = (route.addTo || (await run(route.base, ["-m", "venv", venvDir], { quiet: true }))) &&
    (await run(venvPython(venvDir), [...pip, ...client.pipPackages], { quiet: true }));
  return made ? await probes.venvClient() : undefined;
}

// ---- the real probes ----

/** stdout of `cmd args` when it exits 0 within `timeoutMs`; undefined otherwise. */
async function output(cmd: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  try {
    const result = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return result.success ? new TextDecoder().decode(result.stdout).trim() : undefined;
  } catch {
    return undefined; // not installed, or killed at the timeout
  }
}

async function clientOf(python: string, probe: string): Promise<Client | undefined> {
  const printed = await output(python, ["-c", probe], 60_000);
  // LAB_PROBE prints two lines of versions; the log shows them as one.
  return printed === undefined ? undefined : { python, versions: printed.split("\n").join(", ") };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when /etc/os-release's ID or ID_LIKE names Debian or Ubuntu. */
export function isDebianLikeOsRelease(text: string): boolean {
  return text.split("\n").some((line) => {
    const m = line.match(/^(ID|ID_LIKE)=["']?([^"'\n]*)/);
    return m !== null && m[2].split(/\s+/).some((id) => id === "debian" || id === "ubuntu");
  });
}

async function onPath(name: string): Promise<boolean> {
  const dirs = (Deno.env.get("PATH") ?? "").split(Deno.build.os === "windows" ? ";" : ":");
  for (const dir of dirs) if (dir && (await exists(join(dir, name)))) return true;
  return false;
}

/** Asks pip itself, so its configured index, proxies and certificates count. */
async function pipFetches(base: string, packages: readonly string[]): Promise<boolean> {
  if ((await output(base, ["-m", "pip", "--version"], 30_000)) === undefined) {
    // Debian's python3 without python3-pip: the venv's own pip would use PIP_INDEX_URL or PyPI.
    const index = Deno.env.get("PIP_INDEX_URL") ?? "https://pypi.org/simple/";
    try {
      const url = new URL("nbformat/", index.endsWith("/") ? index : `${index}/`);
      const signal = AbortSignal.timeout(PIP_PROBE_TIMEOUT_S * 1000);
      return (await fetch(url, { method: "HEAD", signal })).ok;
    } catch {
      return false;
    }
  }
  const dest = await Deno.makeTempDir({ prefix: "kd-pip-probe-" });
  try {
    const args = ["-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check"];
    const limits = ["--timeout", `${PIP_PROBE_TIMEOUT_S}`, "--retries", "0", "--dest", dest];
    return (await output(base, [...args, ...limits, ...packages], 60_000)) !== undefined;
  } finally {
    await Deno.remove(dest, { recursive: true }).catch(() => {});
  }
}

/** Whether this machine can take Debian packages from apt-get as root. */
export interface AptProbes {
  isRoot(): Promise<boolean>;
  isDebianLike(): Promise<boolean>;
  hasAptGet(): Promise<boolean>;
}

/** The apt probes of this machine (the engine setup asks them too). */
export function machineAptProbes(): AptProbes {
  return {
    isRoot: () => Promise.resolve(Deno.uid() === 0),
    isDebianLike: async () => {
      try {
        return isDebianLikeOsRelease(await Deno.readTextFile("/etc/os-release"));
      } catch {
        return false; // no os-release: not a Linux we know how to install on
      }
    },
    hasAptGet: () => onPath("apt-get"),
  };
}

/** The probes of this machine, for `client` in the venv at `venvDir`. */
export function machineProbes(venvDir: string, client: ClientSpec = LESSONS_CLIENT): Probes {
  return {
    ...machineAptProbes(),
    venvClient: () => clientOf(venvPython(venvDir), client.probe),
    venvExists: () => exists(venvDir),
    venvRuns: async () =>
      (await output(venvPython(venvDir), ["-m", "pip", "--version"], 60_000)) !== undefined,
    systemClient: async () => {
      for (const python of SYSTEM_PYTHONS) {
        const found = await clientOf(python, client.probe);
        if (found) return found;
      }
      return undefined;
    },
    hasPython: async () => (await output("python3", ["--version"], 30_000)) !== undefined,
    venvBase: async () => {
      for (const python of ["python3", "/usr/bin/python3"]) {
        if ((await output(python, ["-c", VENV_BASE_PROBE], 30_000)) !== undefined) return python;
      }
      return undefined;
    },
    pipReachesIndex: (base) => pipFetches(base, client.pipPackages),
    os: () => Promise.resolve(Deno.build.os),
  };
}
