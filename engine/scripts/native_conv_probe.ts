/**
 * Microbench of the native kernels (wasm/native/) on notebook 04's DeepNN
 * layers at batch 128, against PyTorch's CPU kernels on the same shapes in
 * the same run, on 1 and 2 threads:
 *
 *   deno run -A engine/scripts/native_conv_probe.ts [--calls 5] [--warmup 2] [--threads 1,2]
 *     [--lib PATH] [--no-torch]
 *
 * Each figure is GFLOP/s over the median of `--calls` calls after `--warmup`
 * calls. PyTorch (/usr/bin/python3 with Debian's python3-torch,
 * `KD_BENCH_PYTHON` overrides) runs the ATen kernels autograd calls
 * (`convolution_backward` with the outputs ours computes), in its default
 * NCHW layout (what the lesson's PyTorch code trains in) and in channels_last
 * (NHWC, PyTorch's faster oneDNN path here). Our forward fuses bias and ReLU;
 * PyTorch's adds the bias in the convolution and runs ReLU after it, as its
 * training does.
 */
import { parseArgs } from "node:util";
import { loadOneDnn } from "../wasm/native/loader.ts";
import { type Conv2DParams, type MatMulShape, OneDnnKernels } from "../wasm/native/onednn/mod.ts";
import { message } from "../errors.ts";
import { readEngineSetting } from "../settings.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    calls: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    threads: { type: "string", default: "1,2" },
    lib: { type: "string" },
    "no-torch": { type: "boolean", default: false },
  },
});
const calls = Number(opts.calls);
const warmup = Number(opts.warmup);
const threadCounts = opts.threads.split(",").map(Number);

type Op =
  | {
    name: string;
    kind: "conv2dForward" | "conv2dBackwardData" | "conv2dBackwardFilter";
    p: Conv2DParams;
  }
  | { name: string; kind: "matMul"; shape: MatMulShape };

/** A 3×3 stride-1 "same" convolution, as every DeepNN convolution is. */
function same3x3(
  batch: number,
  size: number,
  inChannels: number,
  outChannels: number,
): Conv2DParams {
  return {
    batch,
    inHeight: size,
    inWidth: size,
    inChannels,
    outHeight: size,
    outWidth: size,
    outChannels,
    filterHeight: 3,
    filterWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    padTop: 1,
    padLeft: 1,
    padBottom: 1,
    padRight: 1,
    dilationHeight: 1,
    dilationWidth: 1,
  };
}

const B = 128;
const convs: [string, Conv2DParams][] = [
  ["conv1 32² 3→128", same3x3(B, 32, 3, 128)],
  ["conv2 32² 128→64", same3x3(B, 32, 128, 64)],
  ["conv3 16² 64→64", same3x3(B, 16, 64, 64)],
  ["conv4 16² 64→32", same3x3(B, 16, 64, 32)],
];
const ops: Op[] = [];
for (const [name, p] of convs) {
  ops.push({ name: `${name} fwd`, kind: "conv2dForward", p });
  // The first layer computes no input gradient in training (SameConv2D).
  if (p.inChannels !== 3) ops.push({ name: `${name} bwd-data`, kind: "conv2dBackwardData", p });
  ops.push({ name: `${name} bwd-filter`, kind: "conv2dBackwardFilter", p });
}
// Dense 2048→512 at batch 128: forward x·W, input gradient dy·Wᵀ, weight gradient xᵀ·dy.
const dense = (m: number, k: number, n: number, transposeA: boolean, transposeB: boolean) => ({
  batch: 1,
  m,
  k,
  n,
  transposeA,
  transposeB,
});
ops.push({ name: "fc1 2048→512 fwd", kind: "matMul", shape: dense(B, 2048, 512, false, false) });
ops.push({ name: "fc1 bwd-data (Bᵀ)", kind: "matMul", shape: dense(B, 512, 2048, false, true) });
ops.push({ name: "fc1 bwd-filter (Aᵀ)", kind: "matMul", shape: dense(2048, B, 512, true, false) });

function flops(op: Op): number {
  if (op.kind === "matMul") return 2 * op.shape.batch * op.shape.m * op.shape.k * op.shape.n;
  const p = op.p;
  return 2 * p.batch * p.outHeight * p.outWidth * p.outChannels * p.inChannels *
    p.filterHeight * p.filterWidth;
}

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}

/** One call of `op` on fresh buffers, returned as a closure so timing sees only the call. */
function prepare(k: OneDnnKernels, op: Op): () => void {
  if (op.kind === "matMul") {
    const { batch, m, k: inner, n } = op.shape;
    const a = random(batch * m * inner, 1), b = random(batch * inner * n, 2);
    const c = new Float32Array(batch * m * n);
    return () => k.matMul(a, b, c, op.shape);
  }
  const p = op.p;
  // The wasm heap is a SharedArrayBuffer: time the kernels on that kind of memory.
  const shared = (n: number, seed: number) => {
    const v = new Float32Array(new SharedArrayBuffer(n * 4));
    v.set(random(n, seed));
    return v;
  };
  const x = shared(p.batch * p.inHeight * p.inWidth * p.inChannels, 3);
  const f = shared(p.filterHeight * p.filterWidth * p.inChannels * p.outChannels, 4);
  const y = shared(p.batch * p.outHeight * p.outWidth * p.outChannels, 5);
  const bias = shared(p.outChannels, 6);
  if (op.kind === "conv2dForward") return () => k.conv2dForward(p, x, f, bias, y, { relu: true });
  if (op.kind === "conv2dBackwardData") return () => k.conv2dBackwardData(p, y, f, x);
  return () => k.conv2dBackwardFilter(p, x, y, f, bias);
}

function timeMs(fn: () => void): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  const sorted = times.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const TORCH = `
import json, sys, time, statistics, torch
spec = json.load(sys.stdin)
torch.manual_seed(0)
out = {}
def ms(fn):
    for _ in range(spec["warmup"]): fn()
    t = []
    for _ in range(spec["calls"]):
        t0 = time.perf_counter(); fn(); t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t)
for threads in spec["threads"]:
    torch.set_num_threads(threads)
    for op in spec["ops"]:
        if op["kind"] == "matMul":
            s = op["shape"]
            a = torch.randn(s["k"], s["m"]) if s["transposeA"] else torch.randn(s["m"], s["k"])
            b = torch.randn(s["n"], s["k"]) if s["transposeB"] else torch.randn(s["k"], s["n"])
            a = a.t() if s["transposeA"] else a
            b = b.t() if s["transposeB"] else b
            fn = lambda a=a, b=b: torch.matmul(a, b)
            with torch.no_grad():
                out[f'{op["name"]}|{threads}|default'] = ms(fn)
            continue
        p = op["p"]
        for layout in ("default", "nhwc"):
            fmt = torch.channels_last if layout == "nhwc" else torch.contiguous_format
            x = torch.randn(p["batch"], p["inChannels"], p["inHeight"], p["inWidth"]).to(memory_format=fmt)
            w = torch.randn(p["outChannels"], p["inChannels"], p["filterHeight"], p["filterWidth"]).to(memory_format=fmt)
            bias = torch.randn(p["outChannels"])
            dy = torch.randn(p["batch"], p["outChannels"], p["outHeight"], p["outWidth"]).to(memory_format=fmt)
            st, pad = [p["strideHeight"], p["strideWidth"]], [p["padTop"], p["padLeft"]]
            if op["kind"] == "conv2dForward":
                fn = lambda x=x, w=w, bias=bias: torch.relu(torch.nn.functional.conv2d(x, w, bias, st, pad))
            else:
                mask = [True, False, False] if op["kind"] == "conv2dBackwardData" else [False, True, True]
                fn = lambda dy=dy, x=x, w=w, mask=mask: torch.ops.aten.convolution_backward(
                    dy, x, w, [p["outChannels"]], st, pad, [1, 1], False, [0, 0], 1, mask)
            with torch.no_grad():
                out[f'{op["name"]}|{threads}|{layout}'] = ms(fn)
print(json.dumps({"version": torch.__version__, "ms": out}))
`;

async function torchTimes(): Promise<{ version: string; ms: Record<string, number> } | string> {
  const python = readEngineSetting("KD_BENCH_PYTHON") ?? "/usr/bin/python3";
  try {
    const child = new Deno.Command(python, {
      args: ["-c", TORCH],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(
      new TextEncoder().encode(JSON.stringify({ ops, threads: threadCounts, calls, warmup })),
    );
    await writer.close();
    const { success, stdout, stderr } = await child.output();
    if (!success) return `PyTorch run failed: ${new TextDecoder().decode(stderr).trim()}`;
    return JSON.parse(new TextDecoder().decode(stdout));
  } catch (e) {
    return `${python} not runnable: ${message(e)}`;
  }
}

const loaded = loadOneDnn(opts.lib ? [opts.lib] : undefined);
if (!loaded.ok) {
  console.error(`no native library: ${loaded.reason}`);
  Deno.exit(1);
}
const kernels = new OneDnnKernels(loaded.library);
const ours = new Map<string, number>();
const impls = new Map<string, string>();
for (const threads of threadCounts) {
  kernels.setThreads(threads);
  for (const op of ops) {
    ours.set(`${op.name}|${threads}`, timeMs(prepare(kernels, op)));
    const info = kernels.describe().find((d) => d.kernel === op.kind && !impls.has(op.name));
    if (info && !impls.has(op.name)) {
      impls.set(
        op.name,
        info.impl + (info.weightsReorder ? ` (+reorder ${info.weightsReorder})` : ""),
      );
    }
  }
}
kernels.dispose();
const torch = opts["no-torch"] ? "skipped (--no-torch)" : await torchTimes();

const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(
  /model name\s*:\s*(.*)/,
)?.[1] ?? Deno.build.arch;
console.log(
  `${loaded.description} (${loaded.library.version.cpuRuntime}) vs ` +
    `${typeof torch === "string" ? torch : `PyTorch ${torch.version}`} on ${cpu}, ` +
    `${navigator.hardwareConcurrency} cores; GFLOP/s, median of ${calls} calls after ${warmup}`,
);
const gflops = (op: Op, ms: number | undefined) =>
  ms === undefined ? "—" : (flops(op) / ms / 1e6).toFixed(1);
const header = [
  "op",
  "GFLOP",
  ...threadCounts.flatMap((t) => [`ours ${t}t`, `torch ${t}t`, `torch NHWC ${t}t`]),
  "impl",
];
console.log(`| ${header.join(" | ")} |`);
console.log(
  `| ${header.map((_, i) => (i === 0 || i === header.length - 1 ? "---" : "---:")).join(" | ")} |`,
);
for (const op of ops) {
  const theirs = (t: number, layout: string) =>
    gflops(op, typeof torch === "string" ? undefined : torch.ms[`${op.name}|${t}|${layout}`]);
  const cells = threadCounts.flatMap((t) => [
    gflops(op, ours.get(`${op.name}|${t}`)),
    theirs(t, "default"),
    theirs(t, "nhwc"),
  ]);
  console.log(
    `| ${op.name} | ${(flops(op) / 1e9).toFixed(2)} | ${cells.join(" | ")} | ${
      impls.get(op.name)
    } |`,
  );
}
// All the ops once: the convolution and dense work of one DeepNN training step, in ms
// (PyTorch's NHWC column takes its matrix products from the default column).
const torchMs = (op: Op, t: number, layout: string) =>
  typeof torch === "string"
    ? NaN
    : torch.ms[`${op.name}|${t}|${layout}`] ?? torch.ms[`${op.name}|${t}|default`];
const sum = (ms: (op: Op) => number) => ops.reduce((s, op) => s + ms(op), 0).toFixed(0);
const totals = threadCounts.flatMap((t) => [
  sum((op) => ours.get(`${op.name}|${t}`)!),
  sum((op) => torchMs(op, t, "default")),
  sum((op) => torchMs(op, t, "nhwc")),
]);
console.log(
  `| all ops, ms | ${(ops.reduce((s, op) => s + flops(op), 0) / 1e9).toFixed(2)} | ${
    totals.join(" | ")
  } | |`,
);
