/**
 * Notebook 03's tabular data: predict political leaning from sex, age, state and
 * income. The original files are not available, so there is a parser for their
 * format and a seeded synthetic generator with the same schema.
 */
import { basename, join } from "node:path";
import { createDataset, type Dataset } from "./dataset.ts";
import { exists } from "../fs/safe_write.ts";
import { createRng } from "../random.ts";
import { readSetting } from "../settings.ts";

/** Class 0, 1, 2 of the `politics` column. */
export const PEOPLE_CLASSES: readonly string[] = ["conservative", "moderate", "liberal"];
/** The six feature columns, in order. */
export const PEOPLE_FEATURES: readonly string[] = [
  "sex",
  "age",
  "michigan",
  "nebraska",
  "oklahoma",
  "income",
];

/** The states of the three one-hot columns, in order. */
export const PEOPLE_STATES: readonly string[] = ["Michigan", "Nebraska", "Oklahoma"];

/** One person's row in plain units. */
export interface Person {
  sex: "male" | "female";
  /** Whole years. */
  age: number;
  state: string;
  /** Whole dollars a year. */
  income: number;
  politics: string;
}

/**
 * Row `i` of a people dataset decoded from the stored encoding (sex −1/+1, age/100, state
 * one-hot, income/100,000, class 0/1/2), so no notebook needs the column offsets or scales.
 */
export function decodePerson(ds: Dataset, i: number): Person {
  if (ds.shape.length !== 1 || ds.shape[0] !== PEOPLE_FEATURES.length) {
    throw new RangeError(
      `${ds.name} is not a people dataset (its rows are [${ds.shape}], not [6])`,
    );
  }
  if (!Number.isInteger(i) || i < 0 || i >= ds.size) {
    throw new RangeError(`${ds.name} has rows 0..${ds.size - 1}, not ${i}`);
  }
  const f = ds.x.subarray(i * 6, i * 6 + 6);
  return {
    sex: f[0] < 0 ? "male" : "female",
    age: Math.round(f[1] * 100),
    state: PEOPLE_STATES[[f[2], f[3], f[4]].indexOf(1)] ?? "unknown",
    income: Math.round(f[5] * 100_000),
    politics: PEOPLE_CLASSES[ds.y[i]],
  };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses the 7-column format `sex age s1 s2 s3 income politics`: sex −1/+1,
 * age/100, state one-hot (Michigan, Nebraska, Oklahoma), income/100,000 and the
 * class 0/1/2. Fields are separated by tabs or any whitespace; `#` starts a comment.
 */
export function parsePeopleTsv(text: string, fileName: string): Dataset {
  const x: number[] = [];
  const y: number[] = [];
  const lines = text.split(/\r?\n/);
  // The last line, when the text does not end with a newline (a copy cut short?).
  const unterminated = lines[lines.length - 1].trim() !== "" ? lines.length - 1 : -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*/, "").trim();
    if (line === "") continue;
    const where = `${fileName}:${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length < 7 && i === unterminated) {
      throw new Error(
        `${where}: expected 7 columns (sex age s1 s2 s3 income politics), got ` +
          `${fields.length} and the file ends in the middle of this line, so it looks cut ` +
          `short: copy or download it again`,
      );
    }
    if (fields.length !== 7) {
      throw new Error(
        `${where}: expected 7 columns (sex age s1 s2 s3 income politics), got ` +
          `${fields.length}; separate fields by tabs or spaces, one person a line`,
      );
    }
    for (let j = 0; j < 7; j++) {
      if (!NUMBER.test(fields[j])) {
        const column = j < 6 ? PEOPLE_FEATURES[j] : "politics";
        throw new Error(
          `${where}: column ${j + 1} (${column}) is "${fields[j]}", not a number; ` +
            `every field must be numeric (e.g. "1 0.24 1 0 0 0.2950 2")` +
            (y.length === 0 ? ` and a header line must start with "#"` : ""),
        );
      }
    }
    const label = Number(fields[6]);
    if (label !== 0 && label !== 1 && label !== 2) {
      throw new Error(
        `${where}: politics label is ${fields[6]}, expected 0 (conservative), 1 (moderate) ` +
          `or 2 (liberal); fix the last column`,
      );
    }
    for (let j = 0; j < 6; j++) x.push(Number(fields[j]));
    y.push(label);
  }
  if (y.length === 0) {
    throw new Error(
      `${fileName}: no data rows (the file is empty or only comments); expected lines like ` +
        `"1 0.24 1 0 0 0.2950 2": point at the right file or copy it again`,
    );
  }
  return createDataset({
    name: `people:${basename(fileName)}`,
    x: Float32Array.from(x),
    y: Uint8Array.from(y),
    shape: [6],
    classNames: PEOPLE_CLASSES,
    source: `people TSV file ${fileName}`,
  });
}

/** Reads and parses a people TSV file (UTF-8 text, not compressed). */
export async function loadPeopleTsv(path: string): Promise<Dataset> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(
      `${path} does not exist; pass the path of a people TSV file, or use syntheticPeople()`,
      { cause: e },
    );
  }
  const head = bytes.subarray(0, 1024);
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (gzip || head.includes(0)) {
    const start = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const kind = gzip ? "gzip-compressed" : "binary";
    const fix = gzip ? "gunzip it first" : "check that this is the right file";
    throw new Error(
      `${path}: ${kind} data (starts with bytes ${start}), not the 7-column people text; ${fix}`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    throw new Error(
      `${path}: not UTF-8 text; save the people TSV as UTF-8 (or plain ASCII) and load it again`,
      { cause: e },
    );
  }
  return parsePeopleTsv(text, path);
}

/** The original files' names, looked for in `KD_PEOPLE_DIR`. */
export const PEOPLE_FILES = { train: "people_train.txt", test: "people_test.txt" } as const;

/**
 * Notebook 03's data: the original files from `dir` (default: the `KD_PEOPLE_DIR` setting) when
 * given, else the synthetic set of seed 0; `original` says which. A folder that is named but lacks the files is an
 * error, not a silent switch to the synthetic data.
 */
export async function loadPeople(
  options: { dir?: string } = {},
): Promise<{ train: Dataset; test: Dataset; original: boolean }> {
  const dir = options.dir ?? readSetting("KD_PEOPLE_DIR");
  if (dir === undefined) return { ...syntheticPeople({ seed: 0 }), original: false };
  const [train, test] = [PEOPLE_FILES.train, PEOPLE_FILES.test].map((f) => join(dir, f));
  const missing = [];
  for (const path of [train, test]) if (!(await exists(path))) missing.push(path);
  if (missing.length) {
    throw new Error(
      `${missing.join(" and ")} not found: KD_PEOPLE_DIR (or option dir) must name a folder ` +
        `holding ${PEOPLE_FILES.train} and ${PEOPLE_FILES.test}; unset it for the synthetic set`,
    );
  }
  return { train: await loadPeopleTsv(train), test: await loadPeopleTsv(test), original: true };
}

/** Writes a people dataset back in the 7-column tab-separated format. */
export function formatPeopleTsv(ds: Dataset): string {
  const rows: string[] = [];
  for (let i = 0; i < ds.size; i++) {
    const f = ds.x.subarray(i * 6, i * 6 + 6);
    rows.push(
      [
        Math.round(f[0]),
        f[1].toFixed(2),
        Math.round(f[2]),
        Math.round(f[3]),
        Math.round(f[4]),
        f[5].toFixed(4),
        ds.y[i],
      ].join("\t"),
    );
  }
  return rows.join("\n") + "\n";
}

export interface SyntheticPeopleOptions {
  /** Default 200 (the original's train size). */
  trainSize?: number;
  /** Default 40 (the original's test size). */
  testSize?: number;
  /** Default 0. */
  seed?: number;
}

/** Effect of living in Michigan, Nebraska, Oklahoma on the latent score. */
const STATE_EFFECT = [0.3, -0.1, -0.3];
/** Standard deviation of the latent noise. */
const NOISE = 0.4;
/** Class boundaries on the latent score. */
const THRESHOLD = 0.5;

/**
 * A seeded synthetic stand-in for notebook 03's data, same schema as the TSV.
 *
 * Generating rule, per person:
 * - sex: −1 or +1 with equal odds; age: a whole number of years uniform in
 *   18..68, stored /100; state: Michigan, Nebraska or Oklahoma with equal odds;
 * - income (/100,000): 0.25 + 0.009·(years − 18) + N(0, 0.08²), clipped to
 *   [0.18, 0.85] and rounded to 4 decimals (older people earn more);
 * - latent "liberal" score: s = −4·(age − 0.43) − 2·(income − 0.5) + 0.3·sex
 *   + state effect (Michigan +0.3, Nebraska −0.1, Oklahoma −0.3);
 * - class: z = s + N(0, 0.4²); conservative if z < −0.5, liberal if z > 0.5,
 *   moderate otherwise.
 *
 * Classes come out about one third each. The noise caps what any model can do:
 * the Bayes-optimal rule (which knows s) is right about 79 % of the time, so a
 * fitted network should land well above chance (33 %) and well below 100 %.
 * Train and test rows come from one stream, train first.
 */
export function syntheticPeople(
  options: SyntheticPeopleOptions = {},
): { train: Dataset; test: Dataset } {
  const { trainSize = 200, testSize = 40, seed = 0 } = options;
  for (const [k, v] of [["trainSize", trainSize], ["testSize", testSize]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`syntheticPeople: ${k} must be a positive integer, got ${v}`);
    }
  }
  const rng = createRng(seed);
  const n = trainSize + testSize;
  const x = new Float32Array(n * 6);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const sex = rng.next() < 0.5 ? -1 : 1;
    const years = 18 + rng.int(51);
    const state = rng.int(3);
    const rawIncome = 0.25 + 0.009 * (years - 18) + 0.08 * rng.normal();
    const income = Math.round(Math.min(0.85, Math.max(0.18, rawIncome)) * 1e4) / 1e4;
    const age = years / 100;
    const s = -4 * (age - 0.43) - 2 * (income - 0.5) + 0.3 * sex + STATE_EFFECT[state];
    const z = s + NOISE * rng.normal();
    y[i] = z < -THRESHOLD ? 0 : z > THRESHOLD ? 2 : 1;
    x.set([sex, age, state === 0 ? 1 : 0, state === 1 ? 1 : 0, state === 2 ? 1 : 0, income], i * 6);
  }
  const source =
    `synthetic people data (seed ${seed}; generating rule in lib/data/people.ts syntheticPeople)`;
  const make = (split: string, from: number, to: number) =>
    createDataset({
      name: `people-synthetic-${split}`,
      x: x.slice(from * 6, to * 6),
      y: y.slice(from, to),
      shape: [6],
      classNames: PEOPLE_CLASSES,
      source,
    });
  return { train: make("train", 0, trainSize), test: make("test", trainSize, n) };
}
