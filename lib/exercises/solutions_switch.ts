/**
 * The `KD_SOLUTIONS` switch, on its own so that scripts (`deno task lessons`) read it exactly as
 * the notebooks do without loading TensorFlow.js, which solutions.ts needs.
 */
import { settingIsOn } from "../settings.ts";

/** True when `KD_SOLUTIONS` is on (`1`, `true`); false when unset or without env permission. */
export function usingSolutions(): boolean {
  return settingIsOn("KD_SOLUTIONS");
}
