/**
 * Output in the Deno Jupyter kernel that lands under the cell that made it (issue 28).
 *
 * Deno 2.9's kernel runs cells on one thread and talks to Jupyter on another: console text
 * (`op_print`, one message per line) and displays (`Deno.jupyter.broadcast`) go into one queue,
 * which the Jupyter thread publishes one message at a time, each parented to the execute request
 * that is current when it takes the message out. Nothing waits for that queue before a cell's
 * reply, and under Run All the next request is already waiting, so the tail of a cell's output
 * (forty lines of a model summary, a chart shown last) is shown under the next cell, or after
 * the cell's idle status, where clients drop it.
 *
 * So in the kernel, `routeConsoleToKernel` replaces console.log/info/debug (stdout) and
 * warn/error (stderr) with versions that queue their text and send it as one stream message per
 * synchronous stretch, and wraps the hook Deno calls at every cell's end so it sends what is
 * queued and gives the Jupyter thread time to publish it before the reply. `kernelDisplay`
 * sends queued text before a display, so the two keep their order.
 */

/** A Jupyter MIME bundle (same shape as `Deno.jupyter.MediaBundle`). */
export type MediaBundle = Record<string, string | object>;

/** The options `Deno.jupyter.display` takes. */
export interface DisplayOptions {
  raw?: boolean;
  update?: boolean;
  display_id?: string;
}

/**
 * True inside the `deno jupyter` kernel. Outside it, merely reading `Deno.jupyter` throws
 * ("only available in `deno jupyter` subcommand"), hence the try/catch.
 */
export function inJupyterKernel(): boolean {
  try {
    return typeof Deno.jupyter?.display === "function";
  } catch {
    return false;
  }
}

/** A Jupyter stream's name. */
export type StreamName = "stdout" | "stderr";

/** Hands one stream message to the kernel (Deno 2.9's broadcast queues it synchronously). */
export type StreamSender = (name: StreamName, text: string) => void;

/** The console methods that are routed, and the stream each writes to (as Deno's console does). */
export const ROUTED_METHODS = {
  log: "stdout",
  info: "stdout",
  debug: "stdout",
  warn: "stderr",
  error: "stderr",
} as const satisfies Record<string, StreamName>;

type RoutedMethod = keyof typeof ROUTED_METHODS;
type ConsoleLike = Record<RoutedMethod, (...args: unknown[]) => void>;

function inspect(value: unknown): string {
  return Deno.inspect(value, { colors: false });
}

/** One `%` directive's text, as Deno's console renders it (`%c`, CSS, renders nothing). */
function directive(kind: string, value: unknown): string {
  switch (kind) {
    case "s":
      return typeof value === "string"
        ? value
        : typeof value === "object" && value !== null
        ? inspect(value)
        : String(value);
    case "d":
    case "i": {
      if (typeof value === "bigint") return `${value}n`;
      const n = typeof value === "symbol" ? NaN : Number(value);
      return String(kind === "i" ? Math.trunc(n) : n);
    }
    case "f":
      return String(typeof value === "symbol" ? NaN : Number(value));
    case "o":
    case "O":
      return inspect(value);
    default: // "c"
      return "";
  }
}

/**
 * A console call's arguments as one line of text: strings as they are, other values through
 * Deno.inspect without colours (what the kernel's console printed), `%s %d %i %f %o %O %c %%` in
 * a leading string filled from the arguments after it.
 */
export function formatConsoleArgs(args: readonly unknown[]): string {
  const rest = [...args];
  const parts: string[] = [];
  if (typeof rest[0] === "string" && rest.length > 1) {
    const format = rest.shift() as string;
    parts.push(format.replace(/%([sdifoOc%])/g, (whole, kind: string) => {
      if (kind === "%") return "%";
      return rest.length ? directive(kind, rest.shift()) : whole;
    }));
  }
  for (const value of rest) parts.push(typeof value === "string" ? value : inspect(value));
  return parts.join(" ");
}

/** The route in force: where text goes, what is waiting, and the methods it replaced. */
interface Route {
  send: StreamSender;
  pending: { name: StreamName; text: string }[];
  scheduled: boolean;
  replaced: Partial<ConsoleLike>;
}

let route: Route | undefined;

function enqueue(r: Route, name: StreamName, text: string): void {
  const last = r.pending.at(-1);
  if (last?.name === name) last.text += text;
  else r.pending.push({ name, text });
  if (r.scheduled) return;
  r.scheduled = true;
  // One message per synchronous stretch of printing: a model summary is one message, not 40,
  // which the kernel publishes in one step instead of forty.
  queueMicrotask(() => {
    r.scheduled = false;
    flushConsole();
  });
}

/**
 * Hands the queued console text to the kernel now. Text the kernel refuses goes to the console
 * methods the route replaced, so it is never lost.
 */
export function flushConsole(): void {
  const r = route;
  if (!r) return;
  for (const { name, text } of r.pending.splice(0)) {
    try {
      r.send(name, text);
    } catch {
      (name === "stderr" ? r.replaced.error : r.replaced.log)?.(text.replace(/\n$/, ""));
    }
  }
}

/**
 * Replaces `target`'s log/info/debug/warn/error with ones that queue their text for `send`; the
 * other methods (table, dir, group, …) are left alone. Returns a function that restores the
 * originals. Does nothing and returns a no-op when a route is already installed.
 */
export function routeConsole(
  send: StreamSender,
  target: ConsoleLike = console as unknown as ConsoleLike,
): () => void {
  if (route) return () => {};
  const r: Route = { send, pending: [], scheduled: false, replaced: {} };
  for (const [method, name] of Object.entries(ROUTED_METHODS) as [RoutedMethod, StreamName][]) {
    r.replaced[method] = target[method];
    target[method] = (...args: unknown[]) => enqueue(r, name, `${formatConsoleArgs(args)}\n`);
  }
  route = r;
  return () => {
    flushConsole();
    Object.assign(target, r.replaced);
    route = undefined;
  };
}

/** Deno's hook that publishes a cell's value; the kernel awaits it before the cell's reply. */
type ResultPublisher = (executionCount: number, result: unknown) => Promise<void>;
interface DenoInternals {
  jupyter?: { broadcastResult?: ResultPublisher };
}

/** How long the end of a cell waits for the kernel to publish what the cell queued. */
export const CELL_END_SETTLE_MS = 40;

/**
 * Wraps the kernel's result publisher so each cell ends by sending its queued console text, then
 * its value, then waiting `settleMs`: the kernel publishes queued output on another thread and
 * nothing reports when it is done, so the wait gives that thread time before the cell's reply.
 * Returns false when this Deno has no such hook (another kernel version): text is still routed.
 */
export function holdCellEnd(
  internals: DenoInternals | undefined,
  settleMs = CELL_END_SETTLE_MS,
): boolean {
  const jupyter = internals?.jupyter;
  const publish = jupyter?.broadcastResult;
  if (!jupyter || typeof publish !== "function") return false;
  jupyter.broadcastResult = async (executionCount, result) => {
    flushConsole();
    await publish(executionCount, result);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  };
  return true;
}

/**
 * In the kernel (once): console text as the running cell's stream output, and each cell's end
 * held until its output is out. Elsewhere nothing.
 */
export function routeConsoleToKernel(): void {
  if (!inJupyterKernel() || route) return;
  routeConsole((name, text) => void Deno.jupyter.broadcast("stream", { name, text }));
  const deno = Deno as unknown as { internal?: symbol } & Record<symbol, DenoInternals>;
  if (deno.internal) holdCellEnd(deno[deno.internal]);
}

/** `Deno.jupyter.display` after the queued console text, so the two keep their order. */
export async function kernelDisplay(bundle: MediaBundle, options: DisplayOptions): Promise<void> {
  flushConsole();
  await Deno.jupyter.display(bundle, options);
}
