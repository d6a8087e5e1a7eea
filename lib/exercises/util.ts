/**
 * Shared machinery of the checks: calling learner code safely (a throw, a
 * Promise, NaN or a wrong shape becomes a described failure, never an
 * exception), reading its result, and formatting numbers for hints.
 */
import * as tf from "@tensorflow/tfjs";
import { softmax } from "../softmax.ts";
import { createRng } from "../random.ts";
import type { ExerciseId } from "./ids.ts";
import { checkFailed, type CheckResult } from "./result.ts";

/** A learner value read into plain data, or why it could not be. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; problem: string };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const problem = <T>(text: string): Outcome<T> => ({ ok: false, problem: text });

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null &&
    typeof (v as { then?: unknown }).then === "function";
}

/** "a number (3)", "a tf.Tensor of shape [2,3]", "undefined", … for hints. */
export function describeKind(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (v instanceof tf.Tensor) return `a tf.Tensor of shape [${v.shape}]`;
  if (isThenable(v)) return "a Promise";
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? "" : "s"}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === "number") return `the number ${fmt(v)}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 40))}`;
  if (typeof v === "function") return "a function";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

function describeError(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.length > 240 ? `${text.slice(0, 237)}…` : text;
}

/**
 * Runs learner code inside `tf.tidy` and reads its result with `read` before
 * the tidy ends, so every tensor it made (and the inputs `call` made) is freed.
 */
export function callLearner<T>(call: () => unknown, read: (v: unknown) => Outcome<T>): Outcome<T> {
  let out: Outcome<T> = problem("it returned nothing");
  try {
    tf.tidy(() => {
      const v = call();
      if (isThenable(v)) {
        // Nobody awaits it: swallow a later rejection instead of crashing the kernel.
        Promise.resolve(v).catch(() => {});
        out = problem("it returned a Promise; these checks need the value itself (no async)");
        return;
      }
      out = read(v);
    });
  } catch (e) {
    out = problem(`it threw ${describeError(e)}`);
  }
  return out;
}

/** A loss: a number or a one-element tensor. */
export function readScalar(v: unknown): Outcome<number> {
  if (typeof v === "number") return ok(v);
  if (v instanceof tf.Tensor) {
    if (v.isDisposed) return problem("it returned a tensor that was already disposed");
    if (v.size !== 1) {
      return problem(
        `it returned a tensor of shape [${v.shape}]; a loss is one number — average it with tf.mean`,
      );
    }
    return ok(v.dataSync()[0]);
  }
  return problem(`it returned ${describeKind(v)}; return a scalar tensor or a number`);
}

/** A matrix of plain numbers with the expected shape. */
export function readMatrix(v: unknown, rows: number, cols: number): Outcome<number[][]> {
  if (v instanceof tf.Tensor) {
    return problem(
      `it returned ${
        describeKind(v)
      }; return plain number[][] arrays (tensor.arraySync() converts)`,
    );
  }
  if (!Array.isArray(v)) {
    return problem(`it returned ${describeKind(v)}; return number[][] (one row per example)`);
  }
  if (v.length !== rows) {
    return problem(`it returned ${v.length} rows for ${rows} rows of input; return one per row`);
  }
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = v[r] as unknown;
    if (!Array.isArray(row) && !(ArrayBuffer.isView(row) && !(row instanceof DataView))) {
      return problem(`its row ${r} is ${describeKind(row)}, not an array of numbers`);
    }
    const values = Array.from(row as ArrayLike<unknown>);
    if (values.length !== cols) {
      return problem(`its row ${r} has ${values.length} values; expected ${cols} (one per class)`);
    }
    if (values.some((x) => typeof x !== "number")) {
      return problem(`its row ${r} holds something other than numbers`);
    }
    out.push(values as number[]);
  }
  return ok(out);
}

/** A rank-2 tensor's shape and values. */
export function readTensor2D(v: unknown): Outcome<{ shape: number[]; values: number[][] }> {
  if (!(v instanceof tf.Tensor)) {
    return problem(`it returned ${describeKind(v)}; return a tf.Tensor2D`);
  }
  if (v.isDisposed) return problem("it returned a tensor that was already disposed");
  if (v.rank !== 2) {
    return problem(`it returned a tensor of shape [${v.shape}]; return a 2-D tensor`);
  }
  return ok({ shape: v.shape, values: v.arraySync() as number[][] });
}

/** 4 significant digits, plain where possible: 0.1235, 12.35, 1.235e-7, NaN. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(4)));
  return Number(x.toPrecision(4)).toExponential();
}

/** `[0.1, 0.2, …]`, at most `max` values. */
export function fmtRow(row: ArrayLike<number>, max = 10): string {
  const values = Array.from(row).slice(0, max).map(fmt);
  return `[${values.join(", ")}${row.length > max ? ", …" : ""}]`;
}

/** Largest |a − b| over two same-shaped matrices (NaN when any value is NaN). */
export function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) {
      const d = Math.abs(a[i][j] - b[i][j]);
      if (!(d <= m)) m = d; // also lets NaN through
    }
  }
  return m;
}

/** The first row whose largest difference exceeds `tolerance` (or holds NaN), else -1. */
export function firstDifferingRow(got: number[][], want: number[][], tolerance: number): number {
  return got.findIndex((row, i) => !(maxAbsDiff([row], [want[i]]) <= tolerance));
}

export function close(a: number, b: number, tolerance: number): boolean {
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));
}

export function closeMatrix(a: number[][], b: number[][], tolerance: number): boolean {
  return maxAbsDiff(a, b) <= tolerance;
}

/** Seeded normal matrix. */
export function normalMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  const rng = createRng(seed);
  return Array.from(
    { length: rows },
    () => Array.from({ length: cols }, () => scale * rng.normal()),
  );
}

/** Row-wise numerically stable softmax of plain numbers. */
export function softmaxRows(m: number[][]): number[][] {
  return m.map((row) => softmax(row));
}

export const mapMatrix = (m: number[][], f: (v: number, i: number, j: number) => number) =>
  m.map((row, i) => row.map((v, j) => f(v, i, j)));

export const copyMatrix = (m: number[][]) => m.map((row) => row.slice());

/** Options of the checks that run a learner function on seeded inputs. */
export interface FunctionCheckOptions {
  /** Seed of the random test inputs (default 0). */
  seed?: number;
  /** Largest accepted error (each check states its default). */
  tolerance?: number;
}

/** Validates a check's options (misuse throws, unlike a wrong answer). */
export function checkSeed(seed: number, check: string): void {
  if (!Number.isInteger(seed)) {
    throw new RangeError(`${check}: options.seed must be an integer, got ${seed}`);
  }
}

export function checkTolerance(tolerance: number, check: string): void {
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new RangeError(`${check}: options.tolerance must be a positive number, got ${tolerance}`);
  }
}

/**
 * The opening every function check shares: validates the check's own options
 * (misuse throws) and fails, with the expected signature as the hint, when the
 * answer is not a function. Without a default tolerance none is validated.
 */
export function startFunctionCheck(
  id: ExerciseId,
  check: string,
  fn: unknown,
  signature: string,
  options: FunctionCheckOptions,
  defaultTolerance?: number,
): { seed: number; tolerance: number } | CheckResult {
  const { seed = 0, tolerance = defaultTolerance ?? 0 } = options;
  checkSeed(seed, check);
  if (defaultTolerance !== undefined) checkTolerance(tolerance, check);
  if (typeof fn !== "function") {
    return checkFailed(
      id,
      `the answer is ${describeKind(fn)}, not a function`,
      `pass a function ${signature}.`,
    );
  }
  return { seed, tolerance };
}

/** An ordinal for hints: 1st, 2nd, 3rd, 4th. */
export function ordinal(n: number): string {
  const suffix = n % 10 === 1 && n % 100 !== 11
    ? "st"
    : n % 10 === 2 && n % 100 !== 12
    ? "nd"
    : n % 10 === 3 && n % 100 !== 13
    ? "rd"
    : "th";
  return `${n}${suffix}`;
}

/** 1,234,567. */
export const count = (n: number) => n.toLocaleString("en");

/** A fraction as a percentage with two decimals. */
export const pct = (f: number) => `${(100 * f).toFixed(2)} %`;

export function isLayersModel(v: unknown): v is tf.LayersModel {
  return v instanceof tf.LayersModel;
}
