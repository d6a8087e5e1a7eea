/**
 * A small client for the Chrome DevTools Protocol over Deno's built-in WebSocket, enough to drive
 * Debian's headless Chromium in the project's browser checks: open a page, evaluate script in it,
 * dispatch input, take screenshots, and collect everything that went wrong on the page (console
 * errors, uncaught exceptions, failed loads, requests to other hosts). No browser is downloaded
 * and no npm client (puppeteer) is needed: the protocol is JSON messages.
 *
 * The browser runs with a throwaway profile and may resolve no host name but 127.0.0.1, so a page
 * that tries the network fails visibly instead of passing on a machine that happens to be online.
 */
import { readSetting } from "../../lib/settings.ts";
import type { DemoPage, OpenPage } from "../demo/browser_check.ts";

/** Debian's package; KD_CHROMIUM names another binary. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

export function chromiumPath(): string {
  return readSetting("KD_CHROMIUM") ?? DEFAULT_CHROMIUM;
}

export async function haveChromium(path: string = chromiumPath()): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

/** The flags every launch uses; exported so a test can see the offline rule is there. */
export function chromiumArgs(profileDir: string, [width, height]: [number, number]): string[] {
  return [
    "--headless",
    "--no-sandbox", // CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    `--window-size=${width},${height}`,
    `--user-data-dir=${profileDir}`,
    // Offline: no host name resolves except the checks' own servers on 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0", // Chromium picks a free port and prints its URL on stderr
    "about:blank",
  ];
}

/** A protocol call that the browser answered with an error. */
export class CdpError extends Error {
  override name = "CdpError";
}

type Json = Record<string, unknown>;
type Listener = (params: Json, sessionId: string | undefined) => void;

/** One WebSocket to the browser; page sessions share it (Target.attachToTarget's flat mode). */
class Connection {
  #ws: WebSocket;
  #nextId = 1;
  #pending = new Map<number, { resolve: (r: Json) => void; reject: (e: Error) => void }>();
  #listeners = new Map<string, Set<Listener>>();
  closed: Promise<void>;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", () => {
        for (const p of this.#pending.values()) p.reject(new CdpError("browser connection closed"));
        this.#pending.clear();
        resolve();
      });
    });
    ws.addEventListener("message", (e) => this.#receive(JSON.parse(e.data as string)));
  }

  static open(url: string): Promise<Connection> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(new Connection(ws)), { once: true });
      ws.addEventListener("error", () => reject(new CdpError(`cannot connect to ${url}`)), {
        once: true,
      });
    });
  }

  #receive(msg: Json) {
    if (typeof msg.id === "number") {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      const error = msg.error as { message?: string; data?: string } | undefined;
      if (error) p.reject(new CdpError(`${error.message}${error.data ? `: ${error.data}` : ""}`));
      else p.resolve((msg.result ?? {}) as Json);
      return;
    }
    const method = msg.method as string;
    for (const l of this.#listeners.get(method) ?? []) {
      l((msg.params ?? {}) as Json, msg.sessionId as string | undefined);
    }
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.#nextId++;
    const promise = new Promise<Json>((resolve, reject) => {
      this.#pending.set(id, {
        resolve,
        reject: (e) => reject(new CdpError(`${method}: ${e.message}`)),
      });
    });
    this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return promise;
  }

  on(method: string, listener: Listener): () => void {
    const set = this.#listeners.get(method) ?? new Set();
    set.add(listener);
    this.#listeners.set(method, set);
    return () => set.delete(listener);
  }

  close() {
    this.#ws.close();
  }
}

/** Options for `Browser.launch`. */
export interface LaunchOptions {
  chromium?: string;
  /** The viewport, and so the first screen a screenshot shows (default 1280 × 900). */
  windowSize?: [number, number];
  /** How long Chromium may take to print its DevTools URL (default 30 s). */
  startTimeoutMs?: number;
}

/** A headless Chromium with its own throwaway profile. */
export class Browser {
  #child: Deno.ChildProcess;
  #conn: Connection;
  #profile: string;
  #stderrTail: string[];
  readonly windowSize: [number, number];

  private constructor(
    child: Deno.ChildProcess,
    conn: Connection,
    profile: string,
    stderrTail: string[],
    windowSize: [number, number],
  ) {
    this.#child = child;
    this.#conn = conn;
    this.#profile = profile;
    this.#stderrTail = stderrTail;
    this.windowSize = windowSize;
  }

  static async launch(options: LaunchOptions = {}): Promise<Browser> {
    const binary = options.chromium ?? chromiumPath();
    const windowSize = options.windowSize ?? [1280, 900];
    const profile = await Deno.makeTempDir({ prefix: "kd-chromium-" });
    const child = new Deno.Command(binary, {
      args: chromiumArgs(profile, windowSize),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // stderr is read to its end in the background (a full pipe would stall Chromium); its last
    // lines go into error messages.
    const tail: string[] = [];
    const url = new Promise<string>((resolve, reject) => {
      (async () => {
        const lines = child.stderr.pipeThrough(new TextDecoderStream());
        let buffer = "";
        let found = false;
        for await (const chunk of lines) {
          buffer += chunk;
          const parts = buffer.split("\n");
          buffer = parts.pop()!;
          for (const line of parts) {
            tail.push(line);
            if (tail.length > 40) tail.shift();
            const m = line.match(/DevTools listening on (ws:\/\/\S+)/);
            if (m && !found) {
              found = true;
              resolve(m[1]);
            }
          }
        }
        if (!found) reject(new Error(`chromium exited before it listened:\n${tail.join("\n")}`));
      })().catch(reject);
    });
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const wsUrl = await Promise.race([
        url,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`chromium printed no DevTools URL within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      const conn = await Connection.open(wsUrl);
      return new Browser(child, conn, profile, tail, windowSize);
    } catch (e) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Chromium's last stderr lines (for a failure message). */
  stderrTail(): string {
    return this.#stderrTail.join("\n");
  }

  /** A new tab, with its problems recorded from the start. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.#conn.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.#conn.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new Page(this.#conn, targetId as string, sessionId as string);
    await page.init(this.windowSize);
    return page;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([
        this.#conn.send("Browser.close"),
        new Promise((r) => setTimeout(r, 5_000)),
      ]);
    } catch { /* the connection may close before the answer */ }
    this.#conn.close();
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 10_000)),
    ]);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone meanwhile */ }
      await this.#child.status;
    }
    await this.#conn.closed;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** Something the page reported as wrong. */
export interface PageProblem {
  kind: "console" | "exception" | "log" | "request";
  text: string;
}

/** Scheme and hosts a page may load from: its own files and the checks' local servers. */
export function isLocalUrl(url: string): boolean {
  if (/^(file|data|blob|about|chrome-error|devtools):/.test(url)) return true;
  try {
    const host = new URL(url).hostname;
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
  } catch {
    return false;
  }
}

/** One tab. */
export class Page {
  #conn: Connection;
  #session: string;
  readonly targetId: string;
  /** Console errors, uncaught exceptions, error log entries and requests to other hosts. */
  readonly problems: PageProblem[] = [];
  #off: (() => void)[] = [];

  constructor(conn: Connection, targetId: string, session: string) {
    this.#conn = conn;
    this.targetId = targetId;
    this.#session = session;
    const mine = (l: Listener): Listener => (p, s) => s === session && l(p, s);
    this.#off.push(
      conn.on(
        "Runtime.consoleAPICalled",
        mine((p) => {
          if (p.type !== "error" && p.type !== "assert") return;
          const args = (p.args as { value?: unknown; description?: string }[]) ?? [];
          const text = args.map((a) => a.value ?? a.description ?? "").join(" ");
          this.problems.push({ kind: "console", text: `console.${p.type}: ${text}` });
        }),
      ),
      conn.on(
        "Runtime.exceptionThrown",
        mine((p) => {
          const d = p.exceptionDetails as {
            text?: string;
            exception?: { description?: string };
            url?: string;
          };
          this.problems.push({
            kind: "exception",
            text: `${d.exception?.description ?? d.text}${d.url ? ` (${d.url})` : ""}`,
          });
        }),
      ),
      conn.on(
        "Log.entryAdded",
        mine((p) => {
          const e = p.entry as { level: string; text: string; url?: string };
          if (e.level === "error") {
            this.problems.push({ kind: "log", text: `${e.text}${e.url ? ` (${e.url})` : ""}` });
          }
        }),
      ),
      conn.on(
        "Network.requestWillBeSent",
        mine((p) => {
          const url = (p.request as { url: string }).url;
          if (!isLocalUrl(url)) this.problems.push({ kind: "request", text: `fetched ${url}` });
        }),
      ),
    );
  }

  send(method: string, params: Json = {}): Promise<Json> {
    return this.#conn.send(method, params, this.#session);
  }

  /** Subscribes to one of this page's events; returns the unsubscribe function. */
  on(method: string, listener: (params: Json) => void): () => void {
    const off = this.#conn.on(method, (p, s) => s === this.#session && listener(p));
    this.#off.push(off);
    return off;
  }

  async init([width, height]: [number, number]): Promise<void> {
    await Promise.all([
      this.send("Page.enable"),
      this.send("Runtime.enable"),
      this.send("Log.enable"),
      this.send("Network.enable"),
      this.send("Emulation.setDeviceMetricsOverride", {
        width,
        height,
        deviceScaleFactor: 1,
        mobile: false,
      }),
    ]);
  }

  /** Loads `url` and waits for its load event (scripts have run; later work is the caller's). */
  async goto(url: string, timeoutMs = 60_000): Promise<void> {
    let off = () => {};
    const loaded = new Promise<void>((resolve) => {
      off = this.on("Page.loadEventFired", () => resolve());
    });
    try {
      const nav = await this.send("Page.navigate", { url });
      if (nav.errorText) throw new CdpError(`cannot open ${url}: ${nav.errorText}`);
      await withTimeout(loaded, timeoutMs, `${url} did not finish loading`);
    } finally {
      off();
    }
  }

  /**
   * Evaluates a JavaScript expression in the page, awaiting a promise, and returns its value as
   * JSON; a thrown exception becomes an Error with the page's message.
   */
  async evaluate<T>(expression: string, timeoutMs = 60_000): Promise<T> {
    const result = await withTimeout(
      this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }),
      timeoutMs,
      `evaluating in the page took over ${timeoutMs} ms: ${expression.slice(0, 120)}`,
    );
    const details = result.exceptionDetails as
      | { text?: string; exception?: { description?: string } }
      | undefined;
    if (details) {
      throw new Error(`in the page: ${details.exception?.description ?? details.text}`);
    }
    return (result.result as { value?: T }).value as T;
  }

  /** Polls `expression` until it is truthy; returns its last value. */
  async waitFor<T>(expression: string, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Moves the mouse to `at` (viewport pixels) with a DevTools input event, as a person's does. */
  async hover(at: { x: number; y: number }): Promise<void> {
    await this.send("Input.dispatchMouseEvent", { type: "mouseMoved", ...at });
  }

  /**
   * A left click at `at`: press, then release, as DevTools input events. A person's mouse gets
   * there first; `hover` it (pages that react to the pointer's arrival need that).
   */
  async click(at: { x: number; y: number }): Promise<void> {
    for (const type of ["mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", {
        type,
        ...at,
        button: "left",
        buttons: type === "mousePressed" ? 1 : 0,
        clickCount: 1,
      });
    }
  }

  /** A PNG of the viewport (the first screen), written to `path`. */
  async screenshot(path: string): Promise<void> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    const bytes = Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0));
    await Deno.writeFile(path, bytes);
  }

  async close(): Promise<void> {
    for (const off of this.#off) off();
    await this.#conn.send("Target.closeTarget", { targetId: this.targetId }).catch(() => {});
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The demo's browser check's page (scripts/demo/browser_check.ts): a browser of its own, closed
 * with the page.
 */
export const openDemoPage: OpenPage = async (url: string): Promise<DemoPage> => {
  const browser = await Browser.launch();
  try {
    const page = await browser.newPage();
    await page.goto(url);
    return {
      evaluate: <T>(expression: string) => page.evaluate<T>(expression),
      screenshot: (path: string) => page.screenshot(path),
      close: async () => {
        await page.close();
        await browser.close();
      },
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
};
