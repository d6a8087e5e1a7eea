/**
 * How the grader names a run's end: from its own kill, the memory cage and the exit signal first;
 * from Deno's last uncaught error only for the crash reason and the denied permission, so text a
 * submission prints cannot turn a failure into "ok" or an "ok" into a failure.
 */
import assert from "node:assert/strict";
import { classifyRun, type RunEnd, statusDetail } from "../scripts/grade/outcome.ts";

const end = (over: Partial<RunEnd>): RunEnd => ({
  code: 0,
  signal: null,
  timedOut: false,
  timeoutSeconds: 600,
  memoryKilled: false,
  systemMemoryLimit: "the 4096 MiB limit of a cgroup v1",
  heapLimit: "V8's 3072 MiB heap limit",
  fileSizeMiB: 1024,
  stderrTail: "",
  ...over,
});

const PRINTED_DENIAL = 'error: Uncaught NotCapable: Requires net access to "example.com:443", ' +
  "run again with the --allow-net flag\n";

Deno.test("printed error text does not change the status of a run that exits 0", () => {
  assert.deepEqual(classifyRun(end({ stderrTail: PRINTED_DENIAL })), { kind: "ok" });
  assert.deepEqual(
    classifyRun(end({ stderrTail: "# Fatal JavaScript out of memory: Reached heap limit\n" })),
    { kind: "ok" },
  );
});

Deno.test("V8's out-of-memory report counts only when a signal ended the run", () => {
  const oom = "#\n# Fatal JavaScript out of memory: Reached heap limit\n";
  assert.equal(
    statusDetail(classifyRun(end({ code: 133, signal: "SIGTRAP", stderrTail: oom }))),
    "stopped at V8's 3072 MiB heap limit",
  );
  assert.deepEqual(classifyRun(end({ code: 1, stderrTail: oom })), {
    kind: "crashed",
    reason: "exit code 1",
  });
});

Deno.test("the grader's kills win over whatever the run printed", () => {
  const printed = { code: 137, signal: "SIGKILL", stderrTail: PRINTED_DENIAL };
  assert.deepEqual(classifyRun(end({ ...printed, timedOut: true })), {
    kind: "timeout",
    seconds: 600,
  });
  assert.deepEqual(classifyRun(end({ ...printed, memoryKilled: true })), {
    kind: "memory",
    limit: "the 4096 MiB limit of a cgroup v1",
  });
});

Deno.test("the denied permission is read from the last uncaught error", () => {
  const stderr = "warning: something\n" +
    'error: Uncaught (in promise) NotCapable: Requires read access to "/etc/passwd", run again ' +
    "with the --allow-read flag\n    at file:///x.ts:1:11\n";
  assert.deepEqual(classifyRun(end({ code: 1, stderrTail: stderr })), {
    kind: "permission",
    permission: "read",
    target: "/etc/passwd",
  });
  assert.deepEqual(
    classifyRun(
      end({
        code: 1,
        stderrTail: "error: Requires ffi access, run again with the --allow-ffi flag\n",
      }),
    ),
    { kind: "permission", permission: "ffi" },
  );
  assert.deepEqual(classifyRun(end({ code: 153, signal: "SIGXFSZ" })), {
    kind: "crashed",
    reason: "wrote a file past the 1024 MiB size limit",
  });
});
