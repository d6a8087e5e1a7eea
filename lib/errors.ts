/** The library's one way to put a caught value into a message. */

/** The message of an Error, or the value as text (a throw may throw anything). */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
