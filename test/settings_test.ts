import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  closestSetting,
  readSetting,
  settingIsOn,
  SETTINGS,
  settingsTable,
  unknownSettingWarnings,
} from "../lib/settings.ts";

const repo = new URL("../", import.meta.url);

function withEnv(name: string, value: string | undefined, body: () => void): void {
  const previous = Deno.env.get(name);
  try {
    if (value === undefined) Deno.env.delete(name);
    else Deno.env.set(name, value);
    body();
  } finally {
    if (previous === undefined) Deno.env.delete(name);
    else Deno.env.set(name, previous);
  }
}

Deno.test("readSetting trims, and a blank value counts as unset", () => {
  withEnv("KD_PEOPLE_DIR", "  /data/people \n", () => {
    assert.equal(readSetting("KD_PEOPLE_DIR"), "/data/people");
  });
  withEnv("KD_PEOPLE_DIR", "   ", () => assert.equal(readSetting("KD_PEOPLE_DIR"), undefined));
  withEnv("KD_PEOPLE_DIR", undefined, () => assert.equal(readSetting("KD_PEOPLE_DIR"), undefined));
});

Deno.test("settingIsOn: 1/true/on/yes in any case, 0/false or unset off, anything else an error", () => {
  for (const v of ["1", "true", " TRUE ", "on", "yes"]) {
    withEnv("KD_SOLUTIONS", v, () => assert.equal(settingIsOn("KD_SOLUTIONS"), true, v));
  }
  for (const v of [undefined, "0", "false", "off", "no", ""]) {
    withEnv("KD_SOLUTIONS", v, () => assert.equal(settingIsOn("KD_SOLUTIONS"), false, String(v)));
  }
  withEnv("KD_SOLUTIONS", "2", () => {
    assert.throws(() => settingIsOn("KD_SOLUTIONS"), /KD_SOLUTIONS="2" is not understood/);
  });
});

Deno.test("an unknown KD_ variable is named with the closest setting", () => {
  assert.equal(closestSetting("KD_PROFLE"), "KD_PROFILE");
  assert.equal(closestSetting("KD_SOLUTION"), "KD_SOLUTIONS");
  assert.equal(closestSetting("KD_WASM_THREAD"), "KD_WASM_THREADS");
  assert.equal(closestSetting("KD_MIRROR"), "KD_DATA_MIRROR");
  assert.deepEqual(
    unknownSettingWarnings({ KD_PROFILE: "quick", KD_PROFLE: "quick", PATH: "/bin", KDX: "1" }),
    [
      "KD_PROFLE is set but is not a setting of this project; did you mean KD_PROFILE? (the " +
      'settings are listed in the README, "Settings")',
    ],
  );
});

Deno.test("the first read warns once on stderr about a mistyped KD_ variable", async () => {
  const settings = new URL("../lib/settings.ts", import.meta.url).href;
  const code = `import { readSetting } from "${settings}";
readSetting("KD_PROFILE"); readSetting("KD_BACKEND");`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: { KD_PROFLE: "quick" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(stderr.match(/KD_PROFLE is set/g)?.length, 1, stderr);
  assert.match(stderr, /did you mean KD_PROFILE\?/);
});

async function files(dir: string, ext: RegExp): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, repo))) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) found.push(...await files(`${path}/`, ext));
    else if (ext.test(e.name)) found.push(path);
  }
  return found;
}

Deno.test("every KD_ variable the project mentions is in the settings table", async () => {
  const paths = [
    ...await files("lib/", /\.ts$/),
    ...await files("engine/", /\.ts$/),
    ...await files("scripts/", /\.(ts|py)$/),
    ...await files("notebooks/", /\.ipynb$/),
    "README.md",
    ".ci/run",
  ];
  const unknown = new Set<string>();
  for (const path of paths) {
    const text = await Deno.readTextFile(new URL(path, repo));
    for (const [name] of text.matchAll(/\bKD_[A-Z][A-Z0-9_]*/g)) {
      if (!Object.hasOwn(SETTINGS, name)) unknown.add(`${name} (${path})`);
    }
  }
  assert.deepEqual([...unknown], []);
});

Deno.test("no code reads a KD_ variable except through lib/settings.ts or engine/settings.ts", async () => {
  const paths = [
    ...await files("lib/", /\.ts$/),
    // The engine's tests set and restore its variables, as test/ does.
    ...(await files("engine/", /\.ts$/)).filter((path) => !path.startsWith("engine/test/")),
    ...await files("scripts/", /\.ts$/),
  ];
  const direct = /Deno\.env\.get\(\s*["'`]KD_/;
  const offenders: string[] = [];
  for (const path of paths) {
    if (path === "lib/settings.ts" || path === "engine/settings.ts") continue;
    if (direct.test(await Deno.readTextFile(new URL(path, repo)))) offenders.push(path);
  }
  for (const path of await files("notebooks/", /\.ipynb$/)) {
    const nb = JSON.parse(await Deno.readTextFile(new URL(path, repo)));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
    if (code.some((c: { source: string[] }) => direct.test(c.source.join("")))) {
      offenders.push(path);
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the README lists every setting: its table is settingsTable()", async () => {
  const readme = await Deno.readTextFile(fileURLToPath(new URL("README.md", repo)));
  assert.ok(readme.includes(settingsTable()), "regenerate the README table from settingsTable()");
  assert.match(settingsTable(), /^\| variable +\| values/);
  assert.equal(settingsTable().split("\n").length, Object.keys(SETTINGS).length + 2);
});
