/** tfjs's WebGPU backend, where the runtime exposes `navigator.gpu`. */
import { type Engine, setBackendOrThrow } from "./engine.ts";

const WEBGPU_SPECIFIER = "@tensorflow/tfjs-backend-webgpu";

export const webgpuEngine: Engine = {
  backend: "webgpu",
  async start() {
    const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    if (nav?.gpu === undefined) {
      throw new Error(
        "WebGPU is not available here (navigator.gpu is missing); use a runtime with WebGPU " +
          "or pick another backend",
      );
    }
    // A computed specifier so that type-checking does not fetch the package;
    // it is loaded (through the import map) only when asked for.
    const specifier: string = WEBGPU_SPECIFIER;
    await import(specifier);
    await setBackendOrThrow("webgpu", "the webgpu backend (no usable GPU adapter?)");
    return undefined;
  },
  reactivate: () => setBackendOrThrow("webgpu", "the webgpu backend"),
  detail: () => "",
};
