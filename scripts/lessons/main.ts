/**
 * `deno task lessons [--in-place] [--check-exercises] [names…]`: installs the Deno Jupyter kernel
 * (scripts/lessons/deno_kernel.ts: with a copy of deno outside npx's cache where needed), sets up the
 * native oneDNN layer or says how much slower the wasm path is (scripts/lessons/engine_setup.ts),
 * finds or installs a Python Jupyter client (scripts/lessons/jupyter_setup.ts: a project venv, Debian's
 * packages, or a message naming the command), then executes the lesson notebooks headless
 * (KD_PROFILE picks their size) and writes executed copies to build/notebooks (or back into
 * notebooks/ with --in-place) and HTML reports to build/html, whose charts render from their
 * vega-lite specs with the pinned vega builds inlined (scripts/lessons/report_assets.ts), offline.
 */
import { usingSolutions } from "../../lib/exercises/solutions_switch.ts";
import {
  describeRegistration,
  KernelRegistrationError,
  registerDenoKernel,
} from "./deno_kernel.ts";
import { JupyterSetupError, setUpJupyter } from "./jupyter_setup.ts";
import { setUpEngine } from "./engine_setup.ts";
import { ReportAssetError, reportScripts } from "./report_assets.ts";

const USAGE = `usage: deno task lessons [--in-place] [--check-exercises] [names…]

  names              run only the notebooks whose file name contains one of them (e.g. 03)
  --in-place         write the executed notebooks back into notebooks/ (default: build/notebooks)
  --check-exercises  every exercise check must fail with a hint, or pass with KD_SOLUTIONS=1
  env KD_PROFILE     quick | cpu (default) | full`;

const root = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();

async function run(cmd: string, args: string[]): Promise<boolean> {
  const { success } = await new Deno.Command(cmd, {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return success;
}

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(USAGE);
  Deno.exit(0);
}
const inPlace = Deno.args.includes("--in-place");
// With --check-exercises every exercise check must pass under KD_SOLUTIONS=1 and
// fail with a hint otherwise (the skeletons): CI runs the notebooks both ways.
// The notebooks' own parser decides, so both sides agree on values like "TRUE".
const expect = Deno.args.includes("--check-exercises")
  ? ["--expect-checks", usingSolutions() ? "pass" : "fail"]
  : [];
const names = Deno.args.filter((a) => !a.startsWith("--"));

try {
  // A kernel that outlives this run (npx's cache can delete the deno running it).
  console.log(describeRegistration(await registerDenoKernel(), deno));
} catch (e) {
  if (!(e instanceof KernelRegistrationError)) throw e;
  console.error(e.message);
  Deno.exit(1);
}
await setUpEngine();
let python: string;
let scripts: string[];
try {
  // Before any notebook runs: a report without its scripts would be found out hours later.
  scripts = (await reportScripts(root)).flatMap((s) => ["--report-script", s.path]);
  python = await setUpJupyter({ root });
} catch (e) {
  if (!(e instanceof JupyterSetupError || e instanceof ReportAssetError)) throw e;
  console.error(e.message);
  Deno.exit(1);
}
const notebooks = [...Deno.readDirSync(`${root}notebooks`)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".ipynb") && (!names.length || names.some((s) => n.includes(s))))
  .sort()
  .map((n) => `notebooks/${n}`);
if (notebooks.length === 0) {
  console.error(`no notebook in notebooks/ matches ${names.join(", ")}`);
  Deno.exit(1);
}
const ok = await run(python, [
  "scripts/lessons/execute_notebooks.py",
  "--out-dir",
  inPlace ? "notebooks" : "build/notebooks",
  "--html-dir",
  "build/html",
  ...scripts,
  ...expect,
  ...notebooks,
]);
Deno.exit(ok ? 0 : 1);
