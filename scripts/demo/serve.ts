/**
 * The demo's web server: the page, tfjs and ONNX Runtime Web from the installed npm packages (no
 * CDN, so it works offline), and the saved models, on 127.0.0.1 only.
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
  /** Folder served as /ort/ (ort.wasm.min.js and its wasm); default onnxruntime-web's dist. */
  ortDir?: string;
  signal?: AbortSignal;
}

const ROOT = new URL("../..", import.meta.url).pathname;
const STATIC = new URL("./static/", import.meta.url).pathname;
export const DEFAULT_TFJS = join(ROOT, "node_modules/@tensorflow/tfjs/dist/tf.min.js");
export const DEFAULT_ORT_DIR = join(ROOT, "node_modules/onnxruntime-web/dist");
/** ONNX Runtime Web's wasm-only build: a global `ort`, which loads the two files beside it. */
export const ORT_FILES = [
  "ort.wasm.min.js",
  "ort-wasm-simd-threaded.mjs",
  "ort-wasm-simd-threaded.wasm",
] as const;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  // Browsers compile wasm while it downloads only when it comes with this type.
  ".wasm": "application/wasm",
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
  const { modelsDir, port = 8060, tfjsPath = DEFAULT_TFJS, ortDir = DEFAULT_ORT_DIR, signal } =
    options;
  for (const path of [tfjsPath, ...ORT_FILES.map((f) => join(ortDir, f))]) {
    try {
      await Deno.stat(path);
    } catch {
      throw new Error(`${path} is missing: run \`deno install\` to fetch the npm packages`);
    }
  }
  return Deno.serve({ hostname: "127.0.0.1", port, signal, onListen: () => {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/") return file(join(STATIC, "index.html"));
    if (path === "/tf.min.js") return file(tfjsPath);
    const ort = path.match(/^\/ort\/(.+)$/);
    if (ort) {
      return file((ORT_FILES as readonly string[]).includes(ort[1]) ? join(ortDir, ort[1]) : null);
    }
    if (path.startsWith("/models/")) return file(inside(modelsDir, path.slice("/models/".length)));
    return file(inside(STATIC, path.slice(1)));
  });
}
