/**
 * `deno task demo [--port N] [--retrain]`: prepares the teacher and student (models.ts) and serves
 * the drawing page on http://127.0.0.1:PORT/ until interrupted.
 */
import { parseArgs } from "node:util";
import { DEFAULT_MODELS_DIR, prepareDemoModels } from "./models.ts";
import { serveDemo } from "./serve.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { port: { type: "string", default: "8060" }, retrain: { type: "boolean" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`--port must be a port number, got "${values.port}"`);
}
await prepareDemoModels({ retrain: values.retrain });
const server = await serveDemo({ modelsDir: DEFAULT_MODELS_DIR, port });
console.log(`demo: draw a digit at http://127.0.0.1:${server.addr.port}/ (Ctrl+C stops)`);
await server.finished;
