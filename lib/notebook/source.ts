/**
 * The library's own code shown in a lesson. It is read from where the library lives (its module
 * URL), not from the working directory, which a grading sandbox does not grant.
 */
import { showMarkdown } from "./display.ts";

/** The text of `path` (relative to `lib/`) from the first occurrence of `from` to the end. */
export async function librarySource(path: string, from = ""): Promise<string> {
  const text = await Deno.readTextFile(new URL(`../${path}`, import.meta.url));
  const at = text.indexOf(from);
  if (at < 0) {
    throw new Error(`lib/${path} does not contain "${from}": pass a marker the file contains`);
  }
  return text.slice(at);
}

/** Show `librarySource(path, from)` as a TypeScript code block. */
export async function showLibrarySource(path: string, from = ""): Promise<void> {
  await showMarkdown("```ts\n" + await librarySource(path, from) + "```");
}
