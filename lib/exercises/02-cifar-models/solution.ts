/** A solution of exercise 02-cifar-models: the same networks, built for 32×32×3 images. */
import { mnistStudent, mnistTeacher } from "../../models/mnist_cnn.ts";
import type { CifarModels } from "./mod.ts";

export const solution = (): CifarModels => ({
  teacher: mnistTeacher({ inputShape: [32, 32, 3], seed: 0 }),
  student: mnistStudent({ inputShape: [32, 32, 3], seed: 1 }),
});
