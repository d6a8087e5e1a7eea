/**
 * `deno task test`: static checks (format, lint and types, the notebooks' code
 * cells included), then the test suite, then one closing line
 * "tests: N passed, N failed" that CI reads. Extra arguments go to `deno test`
 * (e.g. a file or `--filter`).
 */
const deno = Deno.execPath();

async function step(label: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  console.log(`\n== ${label}: deno ${args.join(" ")}`);
  const child = new Deno.Command(deno, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    out += text;
    await Deno.stdout.write(chunk);
  }
  const { success } = await child.status;
  return { ok: success, out };
}

const failures: string[] = [];
const only = Deno.args.length > 0;
if (!only) {
  for (
    const [label, args] of [
      // Notebooks are checked by notebook_code.ts (see there why).
      [
        "format",
        [
          "fmt",
          "--check",
          // --ignore replaces the config's exclude list, so it is repeated here.
          "--ignore=notebooks/,test/fixtures/demo_charts.ipynb,data/,node_modules/,.notebook_code/,.grade_code/,build/",
        ],
      ],
      ["notebook code", ["run", "-A", "scripts/lessons/notebook_code.ts", "--check-format"]],
      ["lint", ["lint", ".", ".notebook_code/"]],
      ["types", ["check", "lib/", "engine/", "test/", "scripts/", ".notebook_code/"]],
      ["README example", ["check", "--doc-only", "README.md"]],
    ] as const
  ) {
    if (!(await step(label, [...args])).ok) failures.push(label);
  }
}
const tests = await step("tests", [
  "test",
  "-A",
  ...(only ? Deno.args : ["test/", "engine/test/"]),
]);
// Deno closes with "ok | 12 passed | 0 failed" (ANSI colours around the parts).
// deno-lint-ignore no-control-regex
const plain = tests.out.replace(/\x1b\[[0-9;]*m/g, "");
const summary = [...plain.matchAll(/\|\s*(\d+) passed[^|]*\|\s*(\d+) failed/g)].pop();
const passed = summary ? Number(summary[1]) : 0;
const failed = summary ? Number(summary[2]) : 0;
if (!tests.ok && failed === 0) failures.push("tests (runner failed before its summary)");
if (failures.length) console.log(`\nfailed steps: ${failures.join(", ")}`);
console.log(`\ntests: ${passed} passed, ${failed} failed`);
Deno.exit(failures.length || failed || !tests.ok ? 1 : 0);
