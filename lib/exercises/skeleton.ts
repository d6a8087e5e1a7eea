/**
 * An exercise's skeleton answer as a value, evaluated from the one text of its cell
 * (`cell.source` in lib/exercises/<id>/mod.ts), so the tests grade exactly what a learner starts
 * from and no second copy of it can drift.
 */
import { type AnswerTypes, type ExerciseId, EXERCISES } from "./exercises.ts";

/** Past a string, template or comment that starts at `i`; `i` itself when none does. */
function skipQuoted(text: string, i: number): number {
  const c = text[i];
  if (c === "/" && text[i + 1] === "/") {
    const end = text.indexOf("\n", i);
    return end < 0 ? text.length : end;
  }
  if (c !== '"' && c !== "'" && c !== "`") return i;
  let j = i + 1;
  while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
  return j + 1;
}

/** The text of the second argument of the cell's `answer("<id>", …)` call. */
export function skeletonExpression(id: ExerciseId): string {
  const source = EXERCISES[id].cell.source;
  const call = new RegExp(`answer\\(\\s*"${id}"\\s*,`).exec(source);
  if (!call) throw new Error(`lib/exercises/${id}/mod.ts: its cell never calls answer("${id}", …)`);
  const start = call.index + call[0].length;
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const past = skipQuoted(source, i);
    if (past !== i) {
      i = past - 1;
      continue;
    }
    const c = source[i];
    if ("([{".includes(c)) depth++;
    else if (")]}".includes(c) && depth-- === 0) {
      return source.slice(start, i).trim().replace(/,$/, "");
    }
  }
  throw new Error(`lib/exercises/${id}/mod.ts: answer("${id}", …) is never closed in its cell`);
}

/**
 * A fresh skeleton answer of exercise `id` (each call builds new models where the skeleton makes
 * them): the cell's answer expression run against the names it imports from lib/mod.ts.
 */
export async function skeletonAnswer<Id extends ExerciseId>(id: Id): Promise<AnswerTypes[Id]> {
  const lib = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
  const code = `import { ${EXERCISES[id].cell.imports.join(", ")} } from ${lib};\n` +
    `export default () => (${skeletonExpression(id)});\n`;
  const bytes = new TextEncoder().encode(code);
  const url = `data:application/typescript;base64,${btoa(String.fromCharCode(...bytes))}`;
  const module = await import(url);
  return module.default();
}
