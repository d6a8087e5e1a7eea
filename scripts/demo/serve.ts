/**
 * The demo's web server: the page, tfjs from the installed npm package (no CDN, so it works
 * offline), and the saved models, on 127.0.0.1 only.
 */
import { extname, join, normalize, resolve } from "node:path";

/** Options for `serveDemo`. */
export interface ServeOptions {
  /** Folder with demo.json and the model folders (see models.ts). */
  modelsDir: string;
  /** Default 8060; 0 picks a free port. */
  port?: number;
  /** tf.min.js to serve; default node_modules/@tensorflow/tfjs/dist/tf.min.js. */
  tfjsPath?: string;
  signal?: AbortSignal;
}

const ROOT = new URL("../..", import.meta.url).pathname;
const STATIC = new URL("./static/", import.meta.url).pathname;
export const DEFAULT_TFJS = join(ROOT, "node_modules/@tensorflow/tfjs/dist/tf.min.js");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
  ".css": "text/css",
};

/** A file under `base`, or null when `rel` would leave it (../, absolute paths). */
function inside(base: string, rel: string): string | null {
  const path = resolve(base, normalize(rel).replace(/^(\.\.(\/|$))+/, ""));
  return path.startsWith(resolve(base) + "/") ? path : null;
}

async function file(path: string | null): Promise<Response> {
  if (!path) return new Response("not found", { status: 404 });
  try {
    const body = await Deno.readFile(path);
    const type = TYPES[extname(path)] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type, "cache-control": "no-store" } });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Response("not found", { status: 404 });
    throw e;
  }
}

/** Starts the server; `server.addr.port` is the port it got. */
export async function serveDemo(options: ServeOptions): Promise<Deno.HttpServer<Deno.NetAddr>> {
  const { modelsDir, port = 8060, tfjsPath = DEFAULT_TFJS, signal } = options;
  try {
    await Deno.stat(tfjsPath);
  } catch {
    throw new Error(`${tfjsPath} is missing: run \`deno install\` to fetch the npm packages`);
  }
  return Deno.serve({ hostname: "127.0.0.1", port, signal, onListen: () => {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/") return file(join(STATIC, "index.html"));
    if (path === "/tf.min.js") return file(tfjsPath);
    if (path.startsWith("/models/")) return file(inside(modelsDir, path.slice("/models/".length)));
    return file(inside(STATIC, path.slice(1)));
  });
}
