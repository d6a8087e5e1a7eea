/**
 * The fast engine, set up by the first command (`deno task lessons`, `deno task lab`) as Jupyter
 * is: the lessons train on wasm with a native oneDNN 2 layer under it (lib/engines/native), and
 * without oneDNN on the pure wasm path, several times slower. Where oneDNN cannot be loaded on
 * Debian/Ubuntu and we are root, Debian's libdnnl2 is installed; otherwise one line names the
 * command and the run goes on on the wasm path (not an error). Either way the log says which
 * engine runs.
 *
 * `chooseEngineRoute` decides from injected probes only (tests stub them, e.g. a missing oneDNN on
 * a machine that has it); `setUpEngine` carries the route out.
 */
import { loadOneDnn, nativeRequestFromEnv } from "@kd/engine";
import { type AptProbes, machineAptProbes, runCommand, type Runner } from "./jupyter_setup.ts";

/** Debian's (and Ubuntu's) package of oneDNN 2. */
export const ONEDNN_PACKAGE = "libdnnl2";
export const ONEDNN_APT_COMMAND = `apt-get install -y --no-install-recommends ${ONEDNN_PACKAGE}`;

/** How much slower the pure wasm path is, from the bench (README "Speed"). */
export const WASM_SLOWDOWN = "about 3.5x slower for the small networks and 6x for the CIFAR-10 " +
  "CNNs (bench: LightNN 1,391 against 4,875 img/s, DeepNN 63 against 388)";

/** oneDNN as the library would load it: its description, or why it cannot be used. */
export type NativeProbe = { ok: true; description: string } | { ok: false; reason: string };

export interface EngineProbes extends AptProbes {
  native(): Promise<NativeProbe>;
}

export type EngineRoute =
  | { kind: "native"; description: string }
  /** KD_NATIVE turns the native layer off, or names a library of the user's own. */
  | { kind: "wasm"; why: string }
  | { kind: "apt"; why: string }
  | { kind: "manual"; why: string; command?: string };

/** The route, asking `probes` lazily; `env` is where KD_NATIVE and KD_NATIVE_LIB are read. */
export async function chooseEngineRoute(
  probes: EngineProbes,
  env: { KD_NATIVE?: string; KD_NATIVE_LIB?: string },
): Promise<EngineRoute> {
  const request = nativeRequestFromEnv(env);
  if (!request.enabled) return { kind: "wasm", why: request.reason };
  const native = await probes.native();
  if (native.ok) return { kind: "native", description: native.description };
  if (env.KD_NATIVE_LIB?.trim()) {
    return {
      kind: "wasm",
      why: `KD_NATIVE_LIB=${env.KD_NATIVE_LIB} cannot be used: ${native.reason}`,
    };
  }
  const why = `oneDNN 2 could not be loaded (${native.reason})`;
  if ((await probes.isDebianLike()) && (await probes.hasAptGet())) {
    if (await probes.isRoot()) return { kind: "apt", why };
    return { kind: "manual", why, command: `sudo ${ONEDNN_APT_COMMAND}` };
  }
  return { kind: "manual", why };
}

/** The log for a run on the pure wasm path, with what would give the native layer. */
function wasmLine(why: string, fix: string): string {
  return `Engine: the pure wasm path, ${WASM_SLOWDOWN}: ${why}.${fix}`;
}

/** The log line(s) for a route before it is carried out. */
export function describeEngineRoute(route: EngineRoute): string {
  switch (route.kind) {
    case "native":
      return `Engine: wasm with the native oneDNN layer (${route.description})`;
    case "wasm":
      return wasmLine(route.why, "");
    case "apt":
      return `Engine: ${route.why}; installing Debian's ${ONEDNN_PACKAGE} with apt-get for the ` +
        `native layer (under a minute; undo: apt-get remove ${ONEDNN_PACKAGE})`;
    case "manual":
      return wasmLine(
        route.why,
        route.command
          ? ` For the native layer, install oneDNN with\n\n    ${route.command}\n\n` +
            "and run this command again."
          : " The native layer needs oneDNN 2.x (libdnnl.so.2; oneDNN 3 is not supported).",
      );
  }
}

export interface EngineSetUpOptions {
  probes?: EngineProbes;
  run?: Runner;
  log?: (line: string) => void;
  env?: { KD_NATIVE?: string; KD_NATIVE_LIB?: string };
}

/**
 * Finds oneDNN or installs it where it may, and logs the engine the lessons will run on. Never
 * throws for a missing oneDNN: the wasm path is slower, not broken. Returns the final route.
 */
export async function setUpEngine(options: EngineSetUpOptions = {}): Promise<EngineRoute> {
  const {
    probes = machineEngineProbes(),
    run = runCommand,
    log = console.log,
    env = Deno.env.toObject(),
  } = options;
  const route = await chooseEngineRoute(probes, env);
  log(describeEngineRoute(route));
  if (route.kind !== "apt") return route;
  const aptEnv = { DEBIAN_FRONTEND: "noninteractive" };
  const installed = (await run("apt-get", ["update"], { env: aptEnv, quiet: true })) &&
    (await run("apt-get", ONEDNN_APT_COMMAND.split(" ").slice(1), { env: aptEnv, quiet: true }));
  const native = installed ? await probes.native() : undefined;
  if (native?.ok) {
    const done: EngineRoute = { kind: "native", description: native.description };
    log(`${describeEngineRoute(done)}, installed now`);
    return done;
  }
  const why = installed
    ? `apt-get installed ${ONEDNN_PACKAGE}, yet oneDNN still cannot be loaded (${native?.reason})`
    : `apt-get could not install ${ONEDNN_PACKAGE} (see its output above)`;
  const fallback: EngineRoute = { kind: "manual", why, command: ONEDNN_APT_COMMAND };
  log(describeEngineRoute(fallback));
  return fallback;
}

/** This machine's probes: oneDNN as the library's loader finds it, and apt-get as root. */
export function machineEngineProbes(): EngineProbes {
  return {
    ...machineAptProbes(),
    native: () => {
      const request = nativeRequestFromEnv(Deno.env.toObject());
      if (!request.enabled) return Promise.resolve({ ok: false, reason: request.reason });
      const loaded = loadOneDnn(request.paths);
      if (!loaded.ok) return Promise.resolve({ ok: false, reason: loaded.reason });
      loaded.library.close();
      const file = loaded.library.file ?? loaded.library.path;
      return Promise.resolve({ ok: true, description: `${loaded.description}, ${file}` });
    },
  };
}
