/**
 * The `KD_SOLUTIONS` switch, on its own so that scripts (`deno task lessons`) read it exactly as
 * the notebooks do without loading TensorFlow.js, which solutions.ts needs.
 */

/** True when env `KD_SOLUTIONS` is `1` (or `true`); false without env permission. */
export function usingSolutions(): boolean {
  try {
    const v = Deno.env.get("KD_SOLUTIONS")?.trim().toLowerCase();
    return v === "1" || v === "true";
  } catch {
    return false;
  }
}
