/**
 * `deno task lessons [--in-place] [--check-exercises] [names…]`: installs the Deno Jupyter kernel,
 * then executes the lesson notebooks headless (KD_PROFILE picks their size) and
 * writes executed copies to build/notebooks (or back into notebooks/ with
 * --in-place) and HTML reports to build/html. Jupyter (jupyter_client,
 * nbformat, nbconvert) is the one prerequisite.
 */
const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();

async function run(cmd: string, args: string[], quiet = false): Promise<boolean> {
  const out = quiet ? "null" : "inherit";
  const { success } = await new Deno.Command(cmd, { args, cwd: root, stdout: out, stderr: out })
    .output();
  return success;
}

const inPlace = Deno.args.includes("--in-place");
// With --check-exercises every exercise check must pass under KD_SOLUTIONS=1 and
// fail with a hint otherwise (the skeletons): CI runs the notebooks both ways.
const solutions = ["1", "true"].includes(Deno.env.get("KD_SOLUTIONS") ?? "");
const expect = Deno.args.includes("--check-exercises")
  ? ["--expect-checks", solutions ? "pass" : "fail"]
  : [];
const names = Deno.args.filter((a) => !a.startsWith("--"));

if (!(await run(deno, ["jupyter", "--install", "--force"], true))) {
  console.error("could not install the Deno Jupyter kernel: run `deno jupyter --install --force`");
  Deno.exit(1);
}
const probe = ["-c", "import jupyter_client, nbformat, nbconvert"];
const python = (await Promise.all(["/usr/bin/python3", "python3"].map(async (p) => {
  try {
    return (await run(p, probe, true)) ? p : undefined;
  } catch {
    return undefined; // not installed
  }
}))).find((p) => p);
if (!python) {
  console.error(
    "Jupyter is needed to run the notebooks: `apt-get install -y python3-nbclient " +
      "python3-nbformat jupyter-client jupyter-nbconvert` (Debian/Ubuntu) or " +
      "`pip install jupyter_client nbformat nbconvert`",
  );
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
  "scripts/execute_notebooks.py",
  "--out-dir",
  inPlace ? "notebooks" : "build/notebooks",
  "--html-dir",
  "build/html",
  ...expect,
  ...notebooks,
]);
Deno.exit(ok ? 0 : 1);
