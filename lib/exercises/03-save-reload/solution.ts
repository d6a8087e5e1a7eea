/** A solution of exercise 03-save-reload: save, then load from the same folder. */
import { loadModel, saveModel } from "../../io/model_dir.ts";
import type { SaveAndReloadFn } from "./mod.ts";

export const solution = (): SaveAndReloadFn => async (model, dir) => {
  await saveModel(model, dir);
  return await loadModel(dir);
};
