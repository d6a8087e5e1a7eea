/**
 * `deno task lab [--notebook] [--port N]`: the lessons in the learner's own client. Registers the
 * Deno kernel (scripts/lessons/deno_kernel.ts), sets up the fast engine (engine_setup.ts), finds or
 * installs JupyterLab 4 and Notebook 7 in the project venv (scripts/lessons/jupyter_setup.ts, LAB_CLIENT;
 * later runs reuse them), then starts JupyterLab (or Notebook 7 with --notebook) on 127.0.0.1 in
 * notebooks/ with a fresh token and prints the address to open. KD_* settings in the environment
 * reach the kernels. Ctrl+C stops the server as Jupyter does (it asks to confirm).
 */
import { join } from "node:path";
import {
  describeRegistration,
  KernelRegistrationError,
  registerDenoKernel,
} from "./deno_kernel.ts";
import { JupyterSetupError, LAB_CLIENT, setUpJupyter } from "./jupyter_setup.ts";
import { setUpEngine } from "./engine_setup.ts";
import { APP_NAMES, type JupyterApp, portFor, startJupyterServer } from "./jupyter_server.ts";

const USAGE = `usage: deno task lab [--notebook] [--port N]

  --notebook   Jupyter Notebook 7 instead of JupyterLab
  --port N     the port to listen on (default 8888, or a free one when 8888 is taken)
  env KD_*     passed to the kernels, e.g. KD_PROFILE=quick deno task lab`;

/** What the command line asks for; throws a usage message for anything else. */
export function parseLabArgs(args: readonly string[]): { app: JupyterApp; port?: number } {
  let app: JupyterApp = "lab";
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--notebook") app = "notebook";
    else if (a === "--port" || a.startsWith("--port=")) {
      const value = a === "--port" ? args[++i] : a.slice("--port=".length);
      port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`--port needs a port number (1-65535), got ${value}\n\n${USAGE}`);
      }
    } else throw new Error(`unknown argument ${a}\n\n${USAGE}`);
  }
  return { app, port };
}

/** The KD_* settings the kernels will see, for the log. */
export function kdSettings(env: Record<string, string>): string[] {
  return Object.entries(env).filter(([k]) => k.startsWith("KD_")).map(([k, v]) => `${k}=${v}`)
    .sort();
}

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  let options: ReturnType<typeof parseLabArgs>;
  try {
    options = parseLabArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const root = new URL("../../", import.meta.url).pathname;
  let python: string;
  try {
    console.log(describeRegistration(await registerDenoKernel(), Deno.execPath()));
    await setUpEngine();
    python = await setUpJupyter({ root, client: LAB_CLIENT });
  } catch (e) {
    if (!(e instanceof KernelRegistrationError || e instanceof JupyterSetupError)) throw e;
    console.error(e.message);
    Deno.exit(1);
  }
  const name = APP_NAMES[options.app];
  const settings = kdSettings(Deno.env.toObject());
  console.log(
    `${name}: starting in notebooks/ on 127.0.0.1` +
      (settings.length ? `; the kernels get ${settings.join(" ")}` : ""),
  );
  // Ctrl+C reaches the server too; it asks to confirm and exits, and so does this task then.
  Deno.addSignalListener("SIGINT", () => {});
  let server;
  try {
    server = await startJupyterServer({
      program: python,
      app: options.app,
      rootDir: join(root, "notebooks"),
      port: portFor(options.port ?? 8888),
      output: "inherit",
    });
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
  // Stopped from outside (a timeout, a service manager): take the server down too.
  Deno.addSignalListener("SIGTERM", () => void server.stop());
  console.log(`\n${name} is running. Open this address in your browser:\n\n    ${server.url}\n`);
  const { code } = await server.process.status;
  Deno.exit(code);
}
