/**
 * vega-loader's Node build pulls in node-fetch → whatwg-url → the deprecated `punycode` module,
 * and Node compatibility prints "[DEP0040] DeprecationWarning" on stderr. In a notebook that
 * shows up as a red stderr block under the first chart, so we drop exactly that one warning.
 * Must be imported BEFORE "vega" (ES modules evaluate in import order).
 */
import process from "node:process";
import { message } from "../errors.ts";

const original = process.emitWarning.bind(process);

function isPunycodeDeprecation(args: unknown[]): boolean {
  const [warning, typeOrOptions, code] = args;
  const text = message(warning);
  const codeValue = typeof typeOrOptions === "object" && typeOrOptions !== null
    ? (typeOrOptions as { code?: unknown }).code
    : code;
  return codeValue === "DEP0040" || /`punycode` module is deprecated/.test(text);
}

// Replace, keeping every other warning intact.
process.emitWarning = ((...args: unknown[]) => {
  if (isPunycodeDeprecation(args)) return;
  (original as (...a: unknown[]) => void)(...args);
}) as typeof process.emitWarning;
