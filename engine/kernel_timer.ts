/**
 * Per-kernel self time of whatever runs on a backend (nested kernel calls excluded), for the
 * profile (`deno task profile`): every kernel registered for the backend is wrapped by a timer.
 * The clock is wall time unless the caller gives another (the probe's `--cpu`: the process's CPU
 * time, which other tenants of a busy machine do not inflate).
 */
import * as tf from "@tensorflow/tfjs";

function shapesOf(inputs: tf.NamedTensorInfoMap): string {
  return Object.values(inputs).map((t) => t?.shape.join("×") ?? "-").join(" ");
}

/** Per-kernel self time, gathered by wrapping every kernel of the backend. */
export class KernelTimer {
  readonly self: Map<string, { ms: number; calls: number }> = new Map();
  private stack: number[] = []; // child time accumulated per open call

  constructor(
    private readonly byShape: boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  install(backend: string): void {
    for (const config of tf.getKernelsForBackend(backend)) {
      const inner = config.kernelFunc;
      const name = config.kernelName;
      const wrapped: tf.KernelFunc = (args) => {
        const t0 = this.clock();
        this.stack.push(0);
        try {
          return inner(args);
        } finally {
          const total = this.clock() - t0;
          const children = this.stack.pop() ?? 0;
          if (this.stack.length > 0) this.stack[this.stack.length - 1] += total;
          const key = this.byShape ? `${name} ${shapesOf(args.inputs)}` : name;
          const entry = this.self.get(key) ?? { ms: 0, calls: 0 };
          entry.ms += total - children;
          entry.calls++;
          this.self.set(key, entry);
        }
      };
      tf.unregisterKernel(name, backend);
      tf.registerKernel({ ...config, kernelFunc: wrapped });
    }
  }

  reset(): void {
    this.self.clear();
  }
}
