/**
 * The child process that proves a library before it is used in-process:
 *
 *   deno run -A engine/wasm/native/probe.ts <libpath>
 *
 * loads the library, runs every kernel once against the reference
 * (self_test.ts) and prints one JSON line, a `ProbeVerdict`. A wrong struct
 * size or signature kills this process instead of the caller's; prove.ts
 * turns that death into a reason.
 */
import { message } from "../../errors.ts";
import { loadOneDnn } from "./loader.ts";
import { OneDnnKernels } from "./onednn/mod.ts";
import { runSelfTest, type SelfTestCheck, TOLERANCE } from "./self_test.ts";

export type ProbeVerdict =
  | {
    ok: true;
    path: string;
    /** "oneDNN 2.6.3". */
    description: string;
    threads: number;
    checks: SelfTestCheck[];
    impls: string[];
  }
  | { ok: false; path: string; reason: string; checks?: SelfTestCheck[] };

export function probe(path: string): ProbeVerdict {
  const loaded = loadOneDnn([path]);
  if (!loaded.ok) return { ok: false, path, reason: loaded.reason };
  let kernels: OneDnnKernels | undefined;
  try {
    kernels = new OneDnnKernels(loaded.library);
    const report = runSelfTest(kernels);
    const threads = kernels.threads;
    kernels.dispose();
    if (kernels.liveObjects() !== 0) {
      return {
        ok: false,
        path,
        reason: `${kernels.liveObjects()} native objects still alive after dispose()`,
        checks: report.checks,
      };
    }
    if (!report.ok) {
      const failed = report.checks.filter((c) => !(c.relativeError <= TOLERANCE));
      return {
        ok: false,
        path,
        reason: `${loaded.description} disagrees with the reference: ` +
          failed.map((c) => `${c.name} (relative error ${c.relativeError})`).join(", "),
        checks: report.checks,
      };
    }
    return {
      ok: true,
      path,
      description: loaded.description,
      threads,
      checks: report.checks,
      impls: report.impls,
    };
  } catch (e) {
    try {
      kernels?.dispose();
    } catch {
      // The first error is the one worth reporting.
    }
    return { ok: false, path, reason: `self-test failed: ${message(e)}` };
  }
}

if (import.meta.main) {
  const path = Deno.args[0];
  const verdict: ProbeVerdict = path
    ? probe(path)
    : { ok: false, path: "", reason: "usage: probe.ts <library path>" };
  console.log(JSON.stringify(verdict));
  Deno.exit(verdict.ok ? 0 : 1);
}
