/**
 * The PyTorch that `deno task bench` compares against by default: pip's build (what
 * `pip install torch` gives a learner today: MKL, oneDNN 3, AVX-512 kernels), pinned, in the
 * git-ignored venv `.venv-bench/`. It is found or made by the Jupyter setup's routes
 * (scripts/lessons/jupyter_setup.ts `chooseRoute`, with this venv as a client spec): reuse the venv, reuse a
 * system Python that already imports the pinned build, or make the venv with pip. Debian's
 * `python3-torch` has no pinned counterpart, so there is no apt route; it stays selectable with
 * `KD_BENCH_PYTHON=/usr/bin/python3`.
 */
import { join } from "node:path";
import {
  chooseRoute,
  type Client,
  type ClientSpec,
  machineProbes,
  PIP_INSTALL_LIMITS,
  type Probes,
  runCommand,
  type Runner,
  venvPython,
} from "../lessons/jupyter_setup.ts";

/** The bench's venv, relative to the repository root (git-ignored). */
export const BENCH_VENV_DIR = ".venv-bench";

/** The torch release the bench's numbers are quoted against (its `+cpu` wheel: no CUDA). */
export const TORCH_VERSION = "2.13.0";

/** Pinned so that every machine measures the same build. */
export const TORCH_PIP_PACKAGES = [`torch==${TORCH_VERSION}`, "numpy==2.2.6"] as const;

/**
 * Imports what bench/pytorch_reference.py needs and prints the versions; exits non-zero for another
 * torch release (a local label such as `+cpu` is allowed), so an older venv is rebuilt.
 */
export const TORCH_PROBE = [
  "import sys, numpy, torch",
  `sys.exit(3) if torch.__version__.split('+')[0] != '${TORCH_VERSION}' else None`,
  "print(f'torch {torch.__version__}, numpy {numpy.__version__}')",
].join("; ");

/** A failure the user can act on; the message names the command. */
export class TorchSetupError extends Error {
  override name = "TorchSetupError";
}

/** The one-line install for this machine, as the error message gives it. */
export function torchInstallCommand(venvDir: string): string {
  return `python3 -m venv ${venvDir} && ${venvPython(venvDir)} -m pip install ` +
    TORCH_PIP_PACKAGES.join(" ");
}

/** The bench's PyTorch as the Jupyter setup's routes take a client (no apt route: no aptPackages). */
export const BENCH_TORCH: ClientSpec = {
  task: "deno task bench",
  pipPackages: TORCH_PIP_PACKAGES,
  probe: TORCH_PROBE,
  addsToVenv: false,
};

/**
 * This machine's probes for the bench venv. Whether pip reaches an index is not probed up front (a
 * probe would fetch the 190 MB wheel): the install itself tells, and a failed one is removed.
 */
export function torchProbes(venvDir: string): Probes {
  return { ...machineProbes(venvDir, BENCH_TORCH), pipReachesIndex: () => Promise.resolve(true) };
}

export interface TorchSetUpOptions {
  /** The repository root: the venv is `root/.venv-bench`. */
  root: string;
  probes?: Probes;
  run?: Runner;
  log?: (line: string) => void;
}

/**
 * Finds or installs pip's pinned torch and returns the Python that imports it; throws
 * TorchSetupError (with the command to run) where it cannot.
 */
export async function setUpBenchTorch(options: TorchSetUpOptions): Promise<Client> {
  const { run = runCommand, log = console.log } = options;
  const venvDir = join(options.root, BENCH_VENV_DIR);
  const probes = options.probes ?? torchProbes(venvDir);
  const route = await chooseRoute(probes, venvDir, BENCH_TORCH);
  switch (route.kind) {
    case "reuse-venv":
      log(`PyTorch: the bench venv ${venvDir}/ (${route.client.versions})`);
      return route.client;
    case "reuse-system":
      log(
        `PyTorch: pip's build already installed for ${route.client.python} ` +
          `(${route.client.versions})`,
      );
      return route.client;
    case "venv": {
      log(
        `PyTorch: ${route.rebuild ? "rebuilding" : "creating"} the bench venv ${venvDir}/ ` +
          `and installing ${TORCH_PIP_PACKAGES.join(" ")} with pip (a minute or two; ` +
          `delete ${venvDir}/ to undo)`,
      );
      // A venv that fails the probe (another torch, a broken install) is rebuilt from nothing.
      if (route.rebuild) await Deno.remove(venvDir, { recursive: true });
      const pip = ["-m", "pip", "install", "--disable-pip-version-check", ...PIP_INSTALL_LIMITS];
      const made = (await run(route.base, ["-m", "venv", venvDir], { quiet: true })) &&
        (await run(venvPython(venvDir), [...pip, ...TORCH_PIP_PACKAGES], { quiet: true }));
      const client = made ? await probes.venvClient() : undefined;
      if (client) {
        log(`PyTorch: installed ${client.versions} into ${venvDir}/`);
        return client;
      }
      await Deno.remove(venvDir, { recursive: true }).catch(() => {});
      throw new TorchSetupError(
        `PyTorch: pip could not install ${TORCH_PIP_PACKAGES.join(" ")} into ${venvDir}/ ` +
          `(see its output above; the folder is removed). Install it where pip reaches a ` +
          `package index:\n\n    ${torchInstallCommand(venvDir)}\n\nor compare against ` +
          `Debian's build with KD_BENCH_PYTHON=/usr/bin/python3.`,
      );
    }
    default:
      throw new TorchSetupError(
        `PyTorch: no python3 here can make the bench venv (that needs Python 3.10+ with venv ` +
          `and ensurepip). Install one and run \`deno task bench\` again, or compare against ` +
          `Debian's build with KD_BENCH_PYTHON=/usr/bin/python3.`,
      );
  }
}
