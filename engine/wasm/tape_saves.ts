/**
 * The gradient tape's saved tensors without a kernel call each. While a tape records, tfjs keeps
 * every tensor an op's gradient may read as a clone: a full `runKernel(Identity)` (about 50 per
 * training step of the notebook-01 teacher, a third of its kernel calls) plus a tape node of its
 * own for the clone. On wasm a clone shares the buffer anyway (kernels/identity.ts), so a saved
 * tensor is made here the way that kernel's output is: the buffer's reference count raised and a
 * tensor made on the same data, with no kernel dispatch and no tape node. The same tensors reach
 * the gradients, so every number is the same.
 *
 * Only first-order tapes: under a nested tape (a gradient of a gradient) the clone's tape node is
 * what lets the outer gradient reach the saved tensor, so tfjs's own save runs there.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs's Engine this uses. */
interface EngineInternals {
  state: { gradientDepth: number };
  backendName: string;
  backend: tf.KernelBackend;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
}

let stock: EngineInternals["saveTensorsForBackwardMode"] | undefined;

/** Makes the wasm backend's first-order tape saves share buffers directly (idempotent). */
export function installSharedTapeSaves(): void {
  if (stock !== undefined) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.saveTensorsForBackwardMode;
  stock = original;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]) {
    if (
      this.state.gradientDepth !== 1 || this.backendName !== "wasm" ||
      tensors.some((t) => t.dtype === "string")
    ) {
      return original.call(this, tensors);
    }
    return tensors.map((t) => {
      this.backend.incRef(t.dataId);
      return this.keep(
        this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: [...t.shape], dtype: t.dtype }),
      );
    });
  };
}
