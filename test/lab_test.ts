import assert from "node:assert/strict";
import { misplacedOutput, type PageCell } from "../scripts/browser/lab_check.ts";
import { kdSettings, parseLabArgs } from "../scripts/lessons/lab.ts";
import { appUrl, portFor, serverArgs } from "../scripts/lessons/jupyter_server.ts";

const SERVER = {
  program: "/repo/.venv-jupyter/bin/python",
  app: "lab" as const,
  rootDir: "/repo/notebooks",
  port: 8888,
  token: "abc123",
};

Deno.test("lab: the server listens on 127.0.0.1 with the token; --allow-root only as root", () => {
  assert.deepEqual(serverArgs({ ...SERVER, asRoot: false }), [
    "-m",
    "jupyterlab",
    "--no-browser",
    "--ip=127.0.0.1",
    "--port=8888",
    "--port-retries=0",
    "--ServerApp.root_dir=/repo/notebooks",
    "--IdentityProvider.token=abc123",
  ]);
  const root = serverArgs({ ...SERVER, app: "notebook", asRoot: true });
  assert.equal(root[1], "notebook");
  assert.equal(root.at(-1), "--allow-root");
  assert.equal(appUrl("lab", 8888, "abc123"), "http://127.0.0.1:8888/lab?token=abc123");
  assert.equal(appUrl("notebook", 9000, "t"), "http://127.0.0.1:9000/tree?token=t");
});

Deno.test("lab: the classic Notebook 6.4 is the program itself, with its own settings' names", () => {
  const classic = { ...SERVER, program: "/usr/bin/jupyter-notebook", app: "classic" as const };
  assert.deepEqual(serverArgs({ ...classic, asRoot: true }), [
    "--no-browser",
    "--ip=127.0.0.1",
    "--port=8888",
    "--port-retries=0",
    "--notebook-dir=/repo/notebooks",
    "--NotebookApp.token=abc123",
    "--NotebookApp.password=",
    "--allow-root",
  ]);
  assert.equal(appUrl("classic", 9000, "t"), "http://127.0.0.1:9000/tree?token=t");
});

Deno.test("lab: arguments pick the client and port; anything else is a usage error", () => {
  assert.deepEqual(parseLabArgs([]), { app: "lab", port: undefined });
  assert.deepEqual(parseLabArgs(["--notebook", "--port", "9000"]), { app: "notebook", port: 9000 });
  assert.deepEqual(parseLabArgs(["--port=9001"]), { app: "lab", port: 9001 });
  assert.throws(
    () => parseLabArgs(["--port", "x"]),
    /--port needs a port number \(1-65535\), got x/,
  );
  assert.throws(() => parseLabArgs(["--lab"]), /unknown argument --lab\n\nusage: deno task lab/);
});

Deno.test("lab: the KD_* settings the kernels get are listed, others are not", () => {
  assert.deepEqual(kdSettings({ PATH: "/bin", KD_PROFILE: "quick", KD_NATIVE: "0" }), [
    "KD_NATIVE=0",
    "KD_PROFILE=quick",
  ]);
});

Deno.test("lab: a taken port is replaced by a free one", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (listener.addr as Deno.NetAddr).port;
  try {
    const port = portFor(taken);
    assert.notEqual(port, taken);
    assert.ok(port > 0);
  } finally {
    listener.close();
  }
  const free = portFor(taken);
  assert.equal(free, taken);
});

Deno.test("lab check: a console line under another cell than the one printing it is named", () => {
  const cell = (index: number, source: string, text: string): PageCell => ({
    index,
    source,
    executionCount: index,
    outputs: text ? [{ output_type: "stream", name: "stdout", text }] : [],
    vegaOutputs: 0,
  });
  const summary = "teacher.summary(100);\nconsole.log(`teacher: ${n} trainable parameters`);";
  const fit = "const run = await fit();\nconsole.log(`teacher test accuracy: ${acc}`);";
  const table = "Total params: 481214\nTrainable params: 481214\n";
  assert.deepEqual(
    misplacedOutput([
      cell(5, summary, `${table}teacher: 481,214 trainable parameters\n`),
      cell(7, fit, "teacher test accuracy: 34.85 %\n"),
    ]),
    [],
  );
  // What issue 28 saw: the summary's tail and the count under the next cell.
  assert.deepEqual(
    misplacedOutput([
      cell(5, summary, "Total params: 481214\n"),
      cell(
        7,
        fit,
        "Trainable params: 481214\nteacher: 481,214 trainable parameters\n" +
          "teacher test accuracy: 34.85 %\n",
      ),
    ]),
    [
      'cell 5: no output line starts with "teacher: ", which it prints',
      'cell 7 shows a line starting with "teacher: ", printed by cell 5',
      'cell 5: no output line starts with "Trainable params", which it prints',
      'cell 7 shows a line starting with "Trainable params", printed by cell 5',
    ],
  );
});
