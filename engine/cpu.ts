/** tfjs's plain-JS cpu backend: always there, slow for CNNs. */
import { type Engine, setBackendOrThrow } from "./engine.ts";

export const cpuEngine: Engine = {
  backend: "cpu",
  async start() {
    await setBackendOrThrow("cpu", "the cpu backend");
    return undefined;
  },
  reactivate: () => setBackendOrThrow("cpu", "the cpu backend"),
  detail: () => "plain JS",
};
