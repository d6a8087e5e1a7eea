/**
 * Every `KD_*` environment variable the project reads, declared once (the engine's in the engine
 * package, which reads them itself), and the one helper through which lib/ and scripts/ read them.
 * The README's settings table is generated from `SETTINGS` (a test compares them), so a new
 * setting is documented where it is declared. A `KD_*` variable that is not in the table is most
 * likely a typo, so the first read warns about it and names the closest known setting.
 */
// Through the library's door to the engine, which starts nothing when imported.
import { ENGINE_SETTINGS, type Setting } from "./backend.ts";

export type { Setting };

export const SETTINGS = {
  KD_PROFILE: {
    values: "`quick` \\| `cpu` \\| `full`",
    default: "`cpu`",
    description: "how much of each lesson's recipe the notebooks run (sizes only, one code path)",
  },
  KD_SOLUTIONS: {
    values: "`1`/`true` or `0`/`false`",
    default: "off",
    description: "exercise cells grade the shipped solution instead of the learner's code",
  },
  KD_GRADE_CHANNEL: {
    values: "a file path",
    default: "no grader listens",
    description:
      "set by `deno task grade` in its sandbox: the file `showResult` appends verdicts to",
  },
  ...ENGINE_SETTINGS,
  KD_DATA_MIRROR: {
    values: "a directory or an http(s) URL base",
    default: "the official download",
    description: "where the CIFAR-10 archive is read from before downloading it",
  },
  KD_PEOPLE_DIR: {
    values: "a directory",
    default: "the synthetic people set",
    description:
      "notebook 03 reads the original `people_train.txt` and `people_test.txt` from there",
  },
  KD_CHART_FONT: {
    values: "a TrueType file path",
    default: "DejaVu, Liberation, FreeSans or Arial where installed",
    description: "the font charts' PNGs are drawn with",
  },
  KD_CHART_FONT_FAMILY: {
    values: "a font family name",
    default: "`DejaVu Sans`",
    description: "the family name of `KD_CHART_FONT`",
  },
  KD_CHROMIUM: {
    values: "a Chromium executable",
    default: "`/usr/bin/chromium` (Debian's)",
    description: "the headless browser of `deno task browser-test` and the browser tests",
  },
  KD_JUPYTER_NOTEBOOK: {
    values: "a `jupyter-notebook` executable",
    default: "`/usr/bin/jupyter-notebook` (Debian's)",
    description: "the classic Notebook server `deno task browser-test` runs notebook 03 in",
  },
  KD_REQUIRE_BROWSER: {
    values: "`1`/`true` or `0`/`false`",
    default: "off",
    description:
      "browser tests fail instead of skipping where Chromium or nbconvert is missing (CI)",
  },
  KD_NB_CELL_TIMEOUT: {
    values: "seconds",
    default: "`1800`",
    description: "the longest one notebook cell may run under `deno task lessons`",
    script: "scripts/lessons/execute_notebooks.py",
  },
  KD_NB_GRACE: {
    values: "seconds",
    default: "`1.5`",
    description: "how long the notebook runner waits for a cell's late outputs",
    script: "scripts/lessons/execute_notebooks.py",
  },
} as const satisfies Record<`KD_${string}`, Setting>;

export type SettingName = keyof typeof SETTINGS;

const NAMES = Object.keys(SETTINGS) as SettingName[];

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no env permission: behave as if unset
  }
}

/** Edit distance, for naming the setting a mistyped variable probably meant. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** The known setting closest to `name`. */
export function closestSetting(name: string): SettingName {
  return NAMES.reduce((best, n) => (distance(name, n) < distance(name, best) ? n : best));
}

/** One warning per `KD_*` variable of `env` that is not a setting, naming the closest one. */
export function unknownSettingWarnings(env: Record<string, string>): string[] {
  return Object.keys(env)
    .filter((k) => k.startsWith("KD_") && !Object.hasOwn(SETTINGS, k))
    .sort()
    .map((k) =>
      `${k} is set but is not a setting of this project; did you mean ${closestSetting(k)}? ` +
      `(the settings are listed in the README, "Settings")`
    );
}

let warned = false;

function warnAboutUnknownSettings(): void {
  if (warned) return;
  warned = true;
  let env: Record<string, string>;
  try {
    env = Deno.env.toObject();
  } catch {
    return; // no env permission: nothing to compare
  }
  for (const line of unknownSettingWarnings(env)) console.warn(`warning: ${line}`);
}

/**
 * The value of a setting, trimmed; undefined when it is unset or blank, or when the program may
 * not read the environment. The first call warns about `KD_*` variables that are not settings.
 */
export function readSetting(name: SettingName): string | undefined {
  warnAboutUnknownSettings();
  const value = envGet(name)?.trim();
  return value ? value : undefined;
}

/** A switch: `1`/`true`/`on`/`yes` is on, `0`/`false`/`off`/`no` or unset is off. */
export function settingIsOn(name: SettingName): boolean {
  const value = readSetting(name)?.toLowerCase();
  if (value === undefined || ["0", "false", "off", "no"].includes(value)) return false;
  if (["1", "true", "on", "yes"].includes(value)) return true;
  throw new RangeError(`${name}="${value}" is not understood; use 1 (on) or 0 (off)`);
}

/** The README's settings table, as markdown (the README holds a copy; a test compares them). */
export function settingsTable(): string {
  const rows = NAMES.map((name) => {
    const s: Setting = SETTINGS[name];
    const who = s.script
      ? ` (read by ${s.script.split(", ").map((p) => `\`${p}\``).join(", ")})`
      : "";
    return [`\`${name}\``, s.values, s.default, `${s.description}${who}`];
  });
  const header = ["variable", "values", "when unset", "what it does"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
