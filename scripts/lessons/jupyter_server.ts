/**
 * Starts a Jupyter server on 127.0.0.1 with a token, waits until it answers, and stops it:
 * JupyterLab or Notebook 7 from the project venv's Python (scripts/lessons/jupyter_setup.ts's
 * LAB_CLIENT), or Debian's classic Notebook 6.4 program. `deno task lab` runs the learner's server
 * this way, and so do the browser tests (scripts/browser/lab_check.ts for the first two,
 * scripts/browser/jupyter_page.ts for the classic one).
 *
 * The server passes its environment to the kernels it starts, so KD_* settings set for the task
 * reach the notebooks.
 */

/**
 * Which client: JupyterLab 4, Notebook 7 (built on JupyterLab's parts), or the classic Notebook
 * 6.4 (its own server, with its own settings' names).
 */
export type JupyterApp = "lab" | "notebook" | "classic";

export const APP_NAMES: Record<JupyterApp, string> = {
  lab: "JupyterLab",
  notebook: "Jupyter Notebook 7",
  classic: "Jupyter Notebook 6",
};

export interface ServerOptions {
  /**
   * What runs the server: for "lab" and "notebook" a Python that imports jupyterlab and notebook,
   * for "classic" the jupyter-notebook program itself.
   */
  program: string;
  app: JupyterApp;
  /** The folder the server shows (its root). */
  rootDir: string;
  port: number;
  token: string;
  /** True when running as root: Jupyter refuses to start as root without --allow-root. */
  asRoot: boolean;
  /** Extra command-line settings (the browser test exposes the app object, for instance). */
  extraArgs?: readonly string[];
}

/** The server's command line after the program. */
export function serverArgs(o: ServerOptions): string[] {
  const listen = [
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${o.port}`,
    // The URL printed is built from this port: no silent move to another.
    "--port-retries=0",
  ];
  const rest = [...(o.asRoot ? ["--allow-root"] : []), ...(o.extraArgs ?? [])];
  if (o.app === "classic") {
    return [
      ...listen,
      `--notebook-dir=${o.rootDir}`,
      `--NotebookApp.token=${o.token}`,
      "--NotebookApp.password=",
      ...rest,
    ];
  }
  return [
    "-m",
    o.app === "lab" ? "jupyterlab" : "notebook",
    ...listen,
    `--ServerApp.root_dir=${o.rootDir}`,
    `--IdentityProvider.token=${o.token}`,
    ...rest,
  ];
}

/** The address that opens the client, token included. */
export function appUrl(app: JupyterApp, port: number, token: string): string {
  return `http://127.0.0.1:${port}/${app === "lab" ? "lab" : "tree"}?token=${token}`;
}

/** A port nothing listens on now (the OS picks it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** `preferred` when it is free, otherwise a free one. */
export function portFor(preferred: number): number {
  try {
    Deno.listen({ hostname: "127.0.0.1", port: preferred }).close();
    return preferred;
  } catch {
    return freePort();
  }
}

/** 48 hex digits from the OS's random source. */
export function randomToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(24))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface StartOptions extends Omit<ServerOptions, "port" | "token" | "asRoot"> {
  port?: number;
  token?: string;
  /** Environment added to this process's for the server (and so its kernels). */
  env?: Record<string, string>;
  /** "inherit" shows the server's log (the task); "piped" keeps its last lines (the test). */
  output?: "inherit" | "piped";
  /** How long the server may take to answer (default 120 s). */
  startTimeoutMs?: number;
}

/** A running server. */
export interface JupyterServer {
  app: JupyterApp;
  port: number;
  token: string;
  /** http://127.0.0.1:port */
  base: string;
  /** What a person opens: base + /lab (or /tree) + ?token=… */
  url: string;
  process: Deno.ChildProcess;
  /** GET on the REST API with the token; undefined when it fails. */
  api<T>(path: string): Promise<T | undefined>;
  /** The server's last log lines (output "piped" only). */
  tail(): string;
  /** SIGTERM, then SIGKILL after 10 s; waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Stops a Jupyter server: SIGTERM, then SIGKILL if it is still running after 10 s; resolves once
 * it has exited and `drained` (its output readers) has settled.
 */
async function stopServer(process: Deno.ChildProcess, drained: Promise<unknown>) {
  try {
    process.kill("SIGTERM");
  } catch { /* already gone */ }
  const stopped = await Promise.race([
    process.status.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 10_000)),
  ]);
  if (!stopped) {
    try {
      process.kill("SIGKILL");
    } catch { /* gone meanwhile */ }
    await process.status;
  }
  await drained;
}

/** Starts the server and resolves once /api/status answers; throws with its log if it does not. */
export async function startJupyterServer(options: StartOptions): Promise<JupyterServer> {
  const port = options.port ?? freePort();
  const token = options.token ?? randomToken();
  const output = options.output ?? "piped";
  const process = new Deno.Command(options.program, {
    args: serverArgs({ ...options, port, token, asRoot: Deno.uid() === 0 }),
    env: options.env,
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
  const lines: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n").filter(Boolean));
      lines.splice(0, Math.max(0, lines.length - 40));
    }
  };
  const drained = output === "piped"
    ? Promise.all([drain(process.stdout), drain(process.stderr)])
    : Promise.resolve();
  let exited = false;
  process.status.then(() => exited = true);
  const base = `http://127.0.0.1:${port}`;
  const api = async <T>(path: string): Promise<T | undefined> => {
    try {
      const r = await fetch(`${base}${path}`, {
        headers: { Authorization: `token ${token}` },
        signal: AbortSignal.timeout(5_000),
      });
      return r.ok ? await r.json() : (await r.body?.cancel(), undefined);
    } catch {
      return undefined;
    }
  };
  const stop = () => stopServer(process, drained);
  const server: JupyterServer = {
    app: options.app,
    port,
    token,
    base,
    url: appUrl(options.app, port, token),
    process,
    api,
    tail: () => lines.join("\n"),
    stop,
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  while (!exited && Date.now() < deadline) {
    if ((await api("/api/status")) !== undefined) return server;
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(
    `${APP_NAMES[options.app]} ${exited ? "exited" : "did not answer"} on ${base}` +
      (lines.length ? `:\n${lines.join("\n")}` : " (its log is above)"),
  );
}
