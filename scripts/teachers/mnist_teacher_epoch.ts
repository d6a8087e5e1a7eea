/**
 * `deno task mnist-teacher-epoch`: trains notebook 01's teacher for one full MNIST
 * epoch through the library and prints the backend, training speed and test
 * accuracy. A quick end-to-end check of a machine's set-up.
 */
import { describeBackend, ensureBackend } from "../../lib/backend.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { fit } from "../../lib/distill/fit.ts";
import { mnistTeacher } from "../../lib/models/mod.ts";

const backend = await ensureBackend();
console.log(describeBackend(backend));
const [train, test] = await Promise.all([loadMnist("train"), loadMnist("test")]);
console.log(`data: ${train.size} train / ${test.size} test, ${train.source}`);
const { history } = await fit({
  model: mnistTeacher({ seed: 0 }),
  train,
  test,
  epochs: 1,
  batchSize: 100,
  seed: 0,
  callbacks: {
    onBatchEnd: (p) => {
      if (p.batch % 100 === 0) {
        console.log(
          `batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} ${
            p.imagesPerSecond.toFixed(0)
          } img/s`,
        );
      }
    },
  },
});
const r = history[0];
console.log(
  `epoch 1: loss ${r.loss.toFixed(4)}, train accuracy ${(100 * r.trainAccuracy).toFixed(2)} %, ` +
    `test accuracy ${(100 * r.testAccuracy!).toFixed(2)} %, ${
      r.imagesPerSecond.toFixed(0)
    } img/s ` +
    `(${r.seconds.toFixed(0)} s)`,
);
