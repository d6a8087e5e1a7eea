/** Reading the library's `KD_*` settings from the environment. */

/** A variable's trimmed value; undefined when unset, blank or not permitted. */
export function readEnv(name: string): string | undefined {
  try {
    const v = Deno.env.get(name)?.trim();
    return v ? v : undefined;
  } catch {
    return undefined; // no env permission: behave as if unset
  }
}
