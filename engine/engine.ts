/**
 * The one interface between the backend chooser (select.ts) and the
 * engines: each engine starts its tfjs backend with whatever kernels it adds,
 * can be switched back to after someone else switched away, and describes
 * itself for the backend line every notebook prints.
 */
import * as tf from "@tensorflow/tfjs";

/** The tfjs backends the library knows how to start. */
export type BackendName = "tensorflow" | "wasm" | "cpu" | "webgpu";

export interface Engine {
  /** The tfjs backend it runs on. */
  readonly backend: BackendName;
  /** Starts the engine; resolves to notes for the backend line, rejects when it cannot start. */
  start(): Promise<string | undefined>;
  /** Makes it the active backend again (kernels re-installed), after a start that succeeded. */
  reactivate(): Promise<void>;
  /** Details for the backend line, e.g. "SIMD, 2 threads"; empty when there are none. */
  detail(): string;
}

/** Switches tfjs to `name`, or throws with `what` in the message. */
export async function setBackendOrThrow(name: BackendName, what: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`${what} failed to start`);
}
