/**
 * Registers the Deno Jupyter kernel so that it keeps working after this run.
 *
 * `deno jupyter --install` writes a kernelspec whose argv[0] is the deno that ran it. Run through
 * `npx --yes deno@2.9.6 task lessons`, that is a binary inside npx's cache (~/.npm/_npx/…), which
 * `npm cache clean`, a newer npx or a cleanup script deletes: JupyterLab then offers a kernel that
 * never starts. So when the running deno lives in an npm-managed folder it is first copied to a
 * per-user, per-version place outside any cache (~/.local/share/kd-deno/<version>/deno), and the
 * kernelspec is installed by that copy; a deno installed for good (the official installer's
 * ~/.deno/bin/deno, a package manager's) is registered as it is.
 *
 * Deno 2.9 writes the kernelspec under $XDG_DATA_HOME (or ~/.local/share)/jupyter and ignores
 * JUPYTER_DATA_DIR; where that variable points elsewhere, Jupyter would not look there, so the
 * kernelspec is copied into it too.
 */
import { dirname, join } from "node:path";

/** What the registration did, for the log line and the tests. */
export interface KernelRegistration {
  /** The deno the kernelspec runs. */
  deno: string;
  /** True when `deno` is a copy made by this run or an earlier one. */
  copied: boolean;
  /** Every kernelspec folder written (Deno's own, then JUPYTER_DATA_DIR's where different). */
  kernelDirs: string[];
}

/** A registration that did not work; the message says what to run. */
export class KernelRegistrationError extends Error {
  override name = "KernelRegistrationError";
}

type Env = Record<string, string | undefined>;

/** True for a path that npm or npx owns (its cache, a node_modules tree): it can vanish. */
export function isEphemeralDeno(path: string): boolean {
  return path.split(/[\\/]/).some((part) => part === "_npx" || part === "node_modules");
}

function home(env: Env): string {
  const h = env.HOME ?? env.USERPROFILE;
  if (!h) throw new KernelRegistrationError("neither HOME nor USERPROFILE is set");
  return h;
}

/** Where the stable copy of deno `version` goes. */
export function stableDenoPath(version: string, env: Env, os: string = Deno.build.os): string {
  if (os === "windows") {
    const base = env.LOCALAPPDATA ?? join(home(env), "AppData", "Local");
    return join(base, "kd-deno", version, "deno.exe");
  }
  const data = env.XDG_DATA_HOME || join(home(env), ".local", "share");
  return join(data, "kd-deno", version, "deno");
}

/** The kernelspec folder `deno jupyter --install` writes (Deno 2.9's rule). */
export function denoKernelDir(env: Env, os: string = Deno.build.os): string {
  if (os === "darwin") return join(home(env), "Library", "Jupyter", "kernels", "deno");
  if (os === "windows") {
    return join(env.APPDATA ?? join(home(env), "AppData", "Roaming"), "jupyter", "kernels", "deno");
  }
  const data = env.XDG_DATA_HOME || join(home(env), ".local", "share");
  return join(data, "jupyter", "kernels", "deno");
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([Deno.stat(a), Deno.stat(b)]);
    return sa.size === sb.size;
  } catch {
    return false;
  }
}

/** Copies `from` to `to` through a temporary name, so a stopped copy never looks complete. */
async function copyExecutable(from: string, to: string): Promise<void> {
  await Deno.mkdir(dirname(to), { recursive: true });
  const partial = `${to}.partial-${Deno.pid}`;
  try {
    await Deno.copyFile(from, partial);
    if (Deno.build.os !== "windows") await Deno.chmod(partial, 0o755);
    await Deno.rename(partial, to);
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
}

/** Options for `registerDenoKernel`; the defaults are this process's. */
export interface RegisterOptions {
  /** The deno to register (default Deno.execPath()). */
  deno?: string;
  /** Its version (default Deno.version.deno): names the stable copy's folder. */
  version?: string;
  /** Environment for the paths and for the install (default Deno.env). */
  env?: Env;
}

/**
 * Installs the kernelspec with a deno that outlives this run and checks that the kernelspec names
 * it. Throws KernelRegistrationError when the install fails or names another binary.
 */
export async function registerDenoKernel(
  options: RegisterOptions = {},
): Promise<KernelRegistration> {
  const running = options.deno ?? Deno.execPath();
  const version = options.version ?? Deno.version.deno;
  const env = options.env ?? Deno.env.toObject();
  let deno = running;
  const copied = isEphemeralDeno(running);
  if (copied) {
    deno = stableDenoPath(version, env);
    if (!(await sameFile(running, deno))) await copyExecutable(running, deno);
  }
  const cleanEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const out = await new Deno.Command(deno, {
    args: ["jupyter", "--install", "--force"],
    env: cleanEnv,
    clearEnv: options.env !== undefined,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const manual = `run \`${deno} jupyter --install --force\``;
  if (!out.success) {
    throw new KernelRegistrationError(
      `could not install the Deno Jupyter kernel (${
        new TextDecoder().decode(out.stderr).trim()
      }): ` +
        manual,
    );
  }
  const kernelDir = denoKernelDir(env);
  const specPath = join(kernelDir, "kernel.json");
  let argv0: string | undefined;
  try {
    argv0 = JSON.parse(await Deno.readTextFile(specPath)).argv?.[0];
  } catch {
    throw new KernelRegistrationError(`deno jupyter --install wrote no ${specPath}: ${manual}`);
  }
  if (argv0 !== deno) {
    throw new KernelRegistrationError(`${specPath} runs ${argv0}, not ${deno}: ${manual}`);
  }
  const kernelDirs = [kernelDir];
  const jupyterData = env.JUPYTER_DATA_DIR;
  if (jupyterData) {
    const theirs = join(jupyterData, "kernels", "deno");
    if (theirs !== kernelDir) {
      await Deno.mkdir(theirs, { recursive: true });
      for await (const e of Deno.readDir(kernelDir)) {
        if (e.isFile) await Deno.copyFile(join(kernelDir, e.name), join(theirs, e.name));
      }
      kernelDirs.push(theirs);
    }
  }
  return { deno, copied, kernelDirs };
}

/** The setup log line. */
export function describeRegistration(r: KernelRegistration, running: string): string {
  const where = r.kernelDirs.join(" and ");
  return r.copied
    ? `Deno kernel: registered ${r.deno} in ${where}, a copy of the running ${running} ` +
      `(npm's cache can delete that one; the copy keeps the kernel working; to undo, delete ` +
      `${dirname(r.deno)} and ${where})`
    : `Deno kernel: registered ${r.deno} in ${where}`;
}
