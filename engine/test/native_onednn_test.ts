/**
 * The native engine's oneDNN kernels (wasm/native/) against naive
 * float64 loops, on shapes that cover stride 1 and 2, same/valid and
 * asymmetric padding, 1×1, 3×3 and 5×5 filters, dilation, odd sizes, batch 1
 * and channel counts 1, 3 and not a multiple of 8; matMul in all four
 * transpose combinations; the loader's refusals; and that native objects do
 * not outlive their use. Skipped, with the loader's reason, where oneDNN 2 is
 * not installed (Debian: apt-get install libdnnl2).
 */
import assert from "node:assert/strict";
import {
  defaultLibraryPaths,
  loadOneDnn,
  nativeRequestFromEnv,
  type OneDnnLibrary,
} from "../wasm/native/loader.ts";
import {
  type Conv2DParams,
  conv2DParams,
  type MatMulShape,
  OneDnnKernels,
} from "../wasm/native/onednn/mod.ts";
import { check, ONEDNN_SYMBOLS, OneDnnError } from "../wasm/native/onednn_ffi.ts";
import {
  conv2dBackwardDataReference,
  conv2dBackwardFilterReference,
  conv2dForwardReference,
  matMulReference,
  relativeError,
} from "../wasm/native/reference.ts";
import { TOLERANCE } from "../wasm/native/self_test.ts";
import { signedValues } from "./fixtures/values.ts";

const loaded = loadOneDnn();
const ignore = !loaded.ok;
if (!loaded.ok) console.warn(`skipping the oneDNN kernel tests: ${loaded.reason}`);
const library = (): OneDnnLibrary => {
  if (!loaded.ok) throw new Error(loaded.reason);
  return loaded.library;
};

/** A copy of `data` inside a SharedArrayBuffer at an odd float offset, as in the wasm heap. */
function shared(data: Float32Array, offset = 3): Float32Array {
  const view = new Float32Array(new SharedArrayBuffer((data.length + offset + 5) * 4), offset * 4);
  const out = view.subarray(0, data.length);
  out.set(data);
  return out;
}

/** tfjs's output size and pads for "same" (pad = "same") or "valid" on one axis. */
function axis(size: number, k: number, stride: number, dilation: number, pad: "same" | "valid") {
  const eff = (k - 1) * dilation + 1;
  if (pad === "valid") return { out: Math.ceil((size - eff + 1) / stride), before: 0, after: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + eff - size);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

function conv(
  batch: number,
  [inHeight, inWidth]: [number, number],
  inChannels: number,
  outChannels: number,
  [filterHeight, filterWidth]: [number, number],
  stride: number,
  pad: "same" | "valid",
  dilation = 1,
): Conv2DParams {
  const h = axis(inHeight, filterHeight, stride, dilation, pad);
  const w = axis(inWidth, filterWidth, stride, dilation, pad);
  return {
    batch,
    inHeight,
    inWidth,
    inChannels,
    outHeight: h.out,
    outWidth: w.out,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight: stride,
    strideWidth: stride,
    padTop: h.before,
    padLeft: w.before,
    padBottom: h.after,
    padRight: w.after,
    dilationHeight: dilation,
    dilationWidth: dilation,
  };
}

const CONVS: [string, Conv2DParams][] = [
  ["3x3 same, batch 1, 1 → 3 channels", conv(1, [5, 5], 1, 3, [3, 3], 1, "same")],
  ["3x3 same stride 2 (asymmetric pads), 3 → 10", conv(2, [7, 6], 3, 10, [3, 3], 2, "same")],
  ["5x5 valid, 13 → 11", conv(3, [9, 9], 13, 11, [5, 5], 1, "valid")],
  ["5x5 same stride 2, 3 → 8", conv(2, [11, 10], 3, 8, [5, 5], 2, "same")],
  ["1x1 valid stride 2 (rows left unread), 12 → 17", conv(2, [8, 7], 12, 17, [1, 1], 2, "valid")],
  ["1x1 stride 1, batch 1, 3 → 1", conv(1, [4, 5], 3, 1, [1, 1], 1, "valid")],
  ["3x3 valid dilation 2, 4 → 5", conv(2, [9, 9], 4, 5, [3, 3], 1, "valid", 2)],
  ["3x5 same, 16 → 24", conv(2, [6, 7], 16, 24, [3, 5], 1, "same")],
  ["3x3 same, DeepNN-like 64 → 32", conv(1, [8, 8], 64, 32, [3, 3], 1, "same")],
];

function convData(p: Conv2DParams) {
  const xLen = p.batch * p.inHeight * p.inWidth * p.inChannels;
  const fLen = p.filterHeight * p.filterWidth * p.inChannels * p.outChannels;
  const yLen = p.batch * p.outHeight * p.outWidth * p.outChannels;
  return {
    x: shared(signedValues(xLen, 1)),
    filter: shared(signedValues(fLen, 2)),
    bias: shared(signedValues(p.outChannels, 3)),
    dy: shared(signedValues(yLen, 4)),
    xLen,
    fLen,
    yLen,
  };
}

function assertClose(actual: Float32Array, expected: Float64Array, what: string): void {
  const err = relativeError(actual, expected);
  assert.ok(err <= TOLERANCE, `${what}: relative error ${err} > ${TOLERANCE}`);
}

/** An output view of NaNs: an element the kernel fails to write fails the comparison. */
function unwritten(length: number): Float32Array {
  return shared(new Float32Array(length).fill(NaN));
}

/** A test over one fresh `OneDnnKernels` (made with `options`, disposed after `body`). */
function kernelsTest(
  name: string,
  body: (k: OneDnnKernels) => void,
  options: { threads?: number } = {},
): void {
  Deno.test({
    name,
    ignore,
    fn() {
      const k = new OneDnnKernels(library(), options);
      try {
        body(k);
      } finally {
        k.dispose();
      }
    },
  });
}

kernelsTest("oneDNN conv2dForward (with and without bias and ReLU) matches the reference", (k) => {
  CONVS.forEach(([name, p], i) => {
    const d = convData(p);
    const y = unwritten(d.yLen);
    // Alternate the fused parts so every shape meets one combination, and both meet all.
    const withBias = i % 2 === 0, relu = i % 3 !== 1;
    const bias = withBias ? d.bias : undefined;
    k.conv2dForward(p, d.x, d.filter, bias, y, { relu });
    const expected = conv2dForwardReference(p, d.x, d.filter, bias, relu);
    assertClose(y, expected, `${name} (bias ${withBias}, relu ${relu})`);
  });
});

kernelsTest(
  "a forward convolution with at most 16 input channels skips brgconv, and gives its bits",
  (k) => {
    // The lessons' layers with few input channels (notebook 01's teacher, LightNN), batch 8.
    const shapes: [string, Conv2DParams][] = [
      ["1→16 5×5 28×28", conv(8, [28, 28], 1, 16, [5, 5], 1, "same")],
      ["16→16 3×3 28×28", conv(8, [28, 28], 16, 16, [3, 3], 1, "same")],
      ["16→32 3×3 14×14", conv(8, [14, 14], 16, 32, [3, 3], 1, "same")],
      ["3→16 3×3 32×32", conv(8, [32, 32], 3, 16, [3, 3], 1, "same")],
    ];
    for (const [name, p] of shapes) {
      const d = convData(p);
      const [chosen, first] = [unwritten(d.yLen), unwritten(d.yLen)];
      k.conv2dForward(p, d.x, d.filter, d.bias, chosen, { relu: true });
      k.conv2dForward(p, d.x, d.filter, d.bias, first, { relu: true, firstImplementation: true });
      const bits = (v: Float32Array) => new Uint32Array(v.slice().buffer);
      assert.deepEqual(bits(chosen), bits(first), name);
    }
    const impls = k.describe().filter((e) => e.kernel === "conv2dForward");
    const skipped = impls.filter((e) => !e.shape.endsWith(" first"));
    assert.equal(skipped.length, shapes.length);
    assert.ok(skipped.every((e) => !e.impl.startsWith("brgconv")), JSON.stringify(skipped));
    const avx512 = impls.some((e) => e.impl.includes("avx512"));
    // Where oneDNN's first choice is brgconv (AVX-512), the chosen kernel differs from it.
    if (avx512) assert.ok(impls.some((e) => e.impl.startsWith("brgconv")), JSON.stringify(impls));
  },
);

kernelsTest(
  "oneDNN conv2dBackwardData matches the reference (input positions no window reads get 0)",
  (k) => {
    for (const [name, p] of CONVS) {
      const d = convData(p);
      const dx = unwritten(d.xLen);
      k.conv2dBackwardData(p, d.dy, d.filter, dx);
      assertClose(dx, conv2dBackwardDataReference(p, d.dy, d.filter), name);
    }
  },
);

kernelsTest("oneDNN conv2dBackwardFilter (and the bias gradient) matches the reference", (k) => {
  CONVS.forEach(([name, p], i) => {
    const d = convData(p);
    const dFilter = unwritten(d.fLen);
    const dBias = unwritten(p.outChannels);
    const expected = conv2dBackwardFilterReference(p, d.x, d.dy);
    if (i % 2 === 0) {
      k.conv2dBackwardFilter(p, d.x, d.dy, dFilter, dBias);
      assertClose(dBias, expected.dBias, `${name} bias`);
    } else {
      k.conv2dBackwardFilter(p, d.x, d.dy, dFilter);
    }
    assertClose(dFilter, expected.dFilter, name);
  });
});

const MATMULS: MatMulShape[] = [false, true].flatMap((transposeA) =>
  [false, true].flatMap((transposeB) => [
    { batch: 3, m: 5, k: 7, n: 9, transposeA, transposeB },
    { batch: 1, m: 33, k: 65, n: 17, transposeA, transposeB },
    { batch: 4, m: 6, k: 3, n: 11, transposeA, transposeB, batchB: 1 },
  ])
);

kernelsTest(
  "oneDNN matMul matches the reference: all four transposes, batch > 1, b broadcast",
  (k) => {
    for (const s of MATMULS) {
      const a = shared(signedValues(s.batch * s.m * s.k, 5));
      const b = shared(signedValues((s.batchB ?? s.batch) * s.k * s.n, 6));
      const c = unwritten(s.batch * s.m * s.n);
      k.matMul(a, b, c, s);
      assertClose(c, matMulReference(a, b, s), JSON.stringify(s));
    }
    // The fused dense layer: + bias, then ReLU.
    const s: MatMulShape = { batch: 1, m: 8, k: 20, n: 12, transposeA: false, transposeB: true };
    const [a, b, bias] = [signedValues(8 * 20, 7), signedValues(20 * 12, 8), signedValues(12, 9)];
    const c = new Float32Array(8 * 12);
    k.matMul(a, b, c, s, { bias, relu: true });
    assertClose(c, matMulReference(a, b, s, bias, true), "bias + relu");
    assert.ok(
      c.some((v) => v === 0) && c.some((v) => v > 0),
      "ReLU applied to a mixed sign output",
    );
  },
);

kernelsTest(
  "oneDNN kernels read each call's views: a replaced heap is used, the old one left alone",
  (k) => {
    const p = CONVS[1][1];
    const d = convData(p);
    const y1 = shared(new Float32Array(d.yLen));
    k.conv2dForward(p, d.x, d.filter, d.bias, y1);
    const before = y1.slice();
    // Same shape (the cached primitive), new memory: a plain ArrayBuffer this time.
    const x2 = signedValues(d.xLen, 11), f2 = signedValues(d.fLen, 12);
    const y2 = new Float32Array(d.yLen);
    k.conv2dForward(p, x2, f2, d.bias, y2);
    assertClose(y2, conv2dForwardReference(p, x2, f2, d.bias), "second heap");
    assert.deepEqual(y1, before, "the first output was written again");
    assert.equal(k.describe().length, 1, "one cached primitive for one shape");
  },
);

kernelsTest(
  "oneDNN kernels refuse views and shapes that do not agree, before any native call",
  (k) => {
    const p = CONVS[0][1];
    const d = convData(p);
    const y = new Float32Array(d.yLen);
    assert.throws(
      () => k.conv2dForward(p, d.x.subarray(1), d.filter, undefined, y),
      /x has 24 elements, the shape needs 25/,
    );
    assert.throws(
      () => k.conv2dForward({ ...p, outHeight: 6 }, d.x, d.filter, undefined, y),
      /output 6x5 does not follow/,
    );
    assert.throws(() => k.conv2dBackwardData(p, d.dy, d.filter, y), RangeError);
    assert.throws(
      () =>
        k.matMul(new Float32Array(6), new Float32Array(6), new Float32Array(4), {
          batch: 2,
          m: 1,
          k: 3,
          n: 2,
          transposeA: false,
          transposeB: false,
          batchB: 3,
        }),
      /batchB must be 1 or batch/,
    );
    assert.equal(k.describe().length, 0, "nothing was built");
  },
);

Deno.test({
  name: "oneDNN kernels refuse a call after dispose()",
  ignore,
  fn() {
    const k = new OneDnnKernels(library());
    k.dispose();
    const empty = new Float32Array(0);
    assert.throws(
      () => k.conv2dForward(CONVS[0][1], empty, empty, undefined, empty),
      /OneDnnKernels used after dispose\(\)/,
    );
  },
});

Deno.test("a failing dnnl status becomes an error naming the call and the status", () => {
  assert.doesNotThrow(() => check("dnnl_stream_wait", 0));
  assert.throws(
    () => check("dnnl_primitive_desc_create (matmul)", 3),
    (e: unknown) =>
      e instanceof OneDnnError && e.call === "dnnl_primitive_desc_create (matmul)" &&
      e.message === "dnnl_primitive_desc_create (matmul) failed: dnnl_unimplemented",
  );
});

kernelsTest(
  "oneDNN describe() names each cached kernel's implementation (jit, not a reference loop)",
  (k) => {
    const p = CONVS[7][1];
    const d = convData(p);
    k.conv2dForward(p, d.x, d.filter, d.bias, new Float32Array(d.yLen), { relu: true });
    k.conv2dBackwardData(p, d.dy, d.filter, new Float32Array(d.xLen));
    k.conv2dBackwardFilter(p, d.x, d.dy, new Float32Array(d.fLen));
    k.matMul(signedValues(6, 1), signedValues(6, 2), new Float32Array(4), {
      batch: 1,
      m: 2,
      k: 3,
      n: 2,
      transposeA: false,
      transposeB: false,
    });
    const info = k.describe();
    assert.deepEqual(info.map((i) => i.kernel), [
      "conv2dForward",
      "conv2dBackwardData",
      "conv2dBackwardFilter",
      "matMul",
    ]);
    assert.match(info[0].shape, /^2x6x7x16 3x5 s1,1 p1,2,1,2 d1,1 →24 \(6x7\) \+bias \+relu$/);
    for (const i of info) assert.match(i.impl, /^[a-z_]+:[a-z0-9_]+/, JSON.stringify(i));
    if (Deno.build.arch === "x86_64") {
      for (const i of info.slice(0, 3)) {
        assert.doesNotMatch(i.impl, /^(ref|gemm:ref)/, `${i.kernel} fell back to ${i.impl}`);
      }
    }
  },
);

kernelsTest(
  "oneDNN thread count is settable and reported, and results hold on each count",
  (k) => {
    try {
      assert.equal(k.threads, 1);
      const p = CONVS[2][1];
      const d = convData(p);
      const expected = conv2dBackwardFilterReference(p, d.x, d.dy).dFilter;
      for (const threads of [1, navigator.hardwareConcurrency]) {
        k.setThreads(threads);
        assert.equal(k.threads, threads);
        const dFilter = new Float32Array(d.fLen);
        k.conv2dBackwardFilter(p, d.x, d.dy, dFilter);
        assertClose(dFilter, expected, `${threads} threads`);
      }
      assert.throws(() => k.setThreads(0), RangeError);
    } finally {
      library().threads?.set(navigator.hardwareConcurrency);
    }
  },
  { threads: 1 },
);

Deno.test({
  name:
    "oneDNN native objects: constant over repeated calls, rebuilt on a thread change, 0 after dispose",
  ignore,
  fn() {
    const k = new OneDnnKernels(library());
    const base = k.liveObjects();
    assert.equal(base, 2, "engine and stream");
    const p = CONVS[3][1];
    const d = convData(p);
    const y = new Float32Array(d.yLen), dx = new Float32Array(d.xLen);
    const dFilter = new Float32Array(d.fLen), dBias = new Float32Array(p.outChannels);
    const mm: MatMulShape = { batch: 2, m: 4, k: 5, n: 6, transposeA: true, transposeB: false };
    const [a, b, c] = [signedValues(40, 1), signedValues(60, 2), new Float32Array(48)];
    const all = () => {
      k.conv2dForward(p, d.x, d.filter, d.bias, y, { relu: true });
      k.conv2dBackwardData(p, d.dy, d.filter, dx);
      k.conv2dBackwardFilter(p, d.x, d.dy, dFilter, dBias);
      k.matMul(a, b, c, mm);
    };
    all();
    const afterFirst = k.liveObjects();
    assert.ok(afterFirst > base, "the first calls build primitives");
    for (let i = 0; i < 50; i++) all();
    assert.equal(k.liveObjects(), afterFirst, "repeated calls create nothing");
    k.setThreads(1);
    assert.equal(k.liveObjects(), base, "a thread change drops the cached primitives");
    all();
    assert.equal(k.liveObjects(), afterFirst);
    k.setThreads(navigator.hardwareConcurrency);
    k.dispose();
    assert.equal(k.liveObjects(), 0);
  },
});

/** glibc keeps freed blocks in its arenas (RSS swings by hundreds of MB here); trimming first
 * makes RSS count what is still allocated. */
const mallocTrim = (() => {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    return () => libc.symbols.malloc_trim(0n);
  } catch {
    return undefined;
  }
})();

Deno.test({
  name: "oneDNN kernels free their native memory: RSS flat over 20 build-and-dispose cycles",
  ignore: ignore || !mallocTrim,
  fn() {
    // 3×3×512×512 filters: each cycle makes ~19 MB of reordered weights and gradients that a
    // leak would keep (380 MB over the cycles).
    const p = conv(1, [4, 4], 512, 512, [3, 3], 1, "same");
    const d = convData(p);
    const y = new Float32Array(d.yLen), dFilter = new Float32Array(d.fLen);
    const cycle = () => {
      const k = new OneDnnKernels(library());
      k.conv2dForward(p, d.x, d.filter, undefined, y);
      k.conv2dBackwardFilter(p, d.x, d.dy, dFilter);
      k.dispose();
    };
    const rss = () => {
      mallocTrim!();
      return Deno.memoryUsage().rss / 2 ** 20;
    };
    for (let i = 0; i < 3; i++) cycle();
    const before = rss();
    for (let i = 0; i < 20; i++) cycle();
    const grown = rss() - before;
    assert.ok(grown < 40, `RSS grew by ${grown.toFixed(1)} MiB over 20 cycles`);
  },
});

Deno.test("KD_NATIVE and KD_NATIVE_LIB choose off, one library, or the default list", () => {
  assert.deepEqual(nativeRequestFromEnv({ KD_NATIVE: "0" }), {
    enabled: false,
    reason: "KD_NATIVE=0 turns the native engine off",
  });
  assert.equal(nativeRequestFromEnv({ KD_NATIVE: "maybe" }).enabled, false);
  assert.deepEqual(nativeRequestFromEnv({ KD_NATIVE_LIB: "/opt/x/libdnnl.so.2" }), {
    enabled: true,
    paths: ["/opt/x/libdnnl.so.2"],
  });
  assert.deepEqual(nativeRequestFromEnv({ KD_NATIVE: "1" }, "linux"), {
    enabled: true,
    paths: ["libdnnl.so.2", "libdnnl.so.3"],
  });
  assert.deepEqual(nativeRequestFromEnv({}, "darwin"), {
    enabled: true,
    paths: defaultLibraryPaths("darwin"),
  });
  assert.ok(defaultLibraryPaths("darwin").every((p) => p.endsWith(".dylib")));
});

Deno.test("the loader turns away what is not oneDNN, with a reason naming path and problem", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const text = `${dir}/libdnnl.so.2`;
    await Deno.writeTextFile(text, "not a library\n");
    const r1 = loadOneDnn([text]);
    assert.ok(!r1.ok && r1.reason.startsWith(`${text}: not a oneDNN library`), JSON.stringify(r1));
    const r2 = loadOneDnn(["/nonexistent/libdnnl.so.2", text]);
    assert.ok(
      !r2.ok && r2.reason.includes("/nonexistent/libdnnl.so.2: ") &&
        r2.reason.includes(`; ${text}: `),
    );
    if (Deno.build.os === "linux") {
      const r3 = loadOneDnn(["libm.so.6"]);
      assert.ok(!r3.ok && /^libm\.so\.6: .*dnnl_version/.test(r3.reason), JSON.stringify(r3));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the loader falls through a bad path to the next one",
  ignore,
  fn() {
    const r = loadOneDnn(["/nonexistent/libdnnl.so.2", ...defaultLibraryPaths()]);
    assert.ok(r.ok, r.ok ? "" : r.reason);
    assert.match(r.description, /^oneDNN 2\.\d+\.\d+$/);
    assert.ok(r.threads >= 1);
  },
});

const gcc = await new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

/** A shared library exporting only a `dnnl_version` that reports `major`.6.3. */
async function fakeOneDnn(dir: string, major: number): Promise<string> {
  const src = `${dir}/fake${major}.c`, lib = `${dir}/libfake${major}.so`;
  await Deno.writeTextFile(
    src,
    `typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } v_t;
static const v_t v = { ${major}, 6, 3, "fake", 2, 0 };
const v_t *dnnl_version(void) { return &v; }
`,
  );
  const out = await new Deno.Command("gcc", { args: ["-shared", "-fPIC", "-o", lib, src] })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return lib;
}

Deno.test({
  name: "the loader names every missing symbol, and refuses oneDNN 3 by version",
  ignore: !gcc || Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const r2 = loadOneDnn([await fakeOneDnn(dir, 2)]);
      const count = Object.keys(ONEDNN_SYMBOLS).length - 1;
      assert.ok(!r2.ok, "loaded a library without the API");
      assert.match(
        r2.reason,
        new RegExp(`lacks ${count} oneDNN symbol\\(s\\): dnnl_engine_create, `),
      );
      assert.ok(r2.reason.includes("dnnl_primitive_execute"));
      const r3 = loadOneDnn([await fakeOneDnn(dir, 3)]);
      assert.ok(!r3.ok && r3.reason.includes("oneDNN 3.6.3 is not supported"), JSON.stringify(r3));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("conv2DParams takes tfjs's Conv2DInfo fields", () => {
  const p = CONVS[1][1];
  const info = {
    ...p,
    batchSize: p.batch,
    padInfo: {
      top: p.padTop,
      left: p.padLeft,
      bottom: p.padBottom,
      right: p.padRight,
      type: "SAME",
    },
    dataFormat: "channelsLast",
  };
  assert.deepEqual(conv2DParams(info), p);
});

Deno.test("the reference loops agree with hand-worked values", () => {
  // 3×3 image 1..9, 2×2 filter of ones, valid: each output sums a 2×2 window.
  const p = conv(1, [3, 3], 1, 1, [2, 2], 1, "valid");
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.deepEqual([...conv2dForwardReference(p, x, [1, 1, 1, 1])], [12, 16, 24, 28]);
  // Same padding with stride 2 on 3×3 pads 1 on both sides: the outputs centre on pixels 1, 3, 7, 9.
  const s2 = conv(1, [3, 3], 1, 1, [3, 3], 2, "same");
  assert.deepEqual([s2.outHeight, s2.padTop, s2.padBottom], [2, 1, 1]);
  assert.deepEqual([...conv2dForwardReference(s2, x, [0, 0, 0, 0, 1, 0, 0, 0, 0])], [1, 3, 7, 9]);
  // The gradient of Σy with respect to x counts the windows each pixel is in.
  assert.deepEqual([...conv2dBackwardDataReference(p, [1, 1, 1, 1], [1, 1, 1, 1])], [
    1,
    2,
    1,
    2,
    4,
    2,
    1,
    2,
    1,
  ]);
  assert.deepEqual([...conv2dBackwardFilterReference(p, x, [1, 0, 0, 0]).dFilter], [1, 2, 4, 5]);
  // [[1, 2], [3, 4]]ᵀ · [[1], [1]] = [[4], [6]].
  const mm = { batch: 1, m: 2, k: 2, n: 1, transposeA: true, transposeB: false };
  assert.deepEqual([...matMulReference([1, 2, 3, 4], [1, 1], mm)], [4, 6]);
  assert.ok(Number.isNaN(relativeError([NaN], [1])), "NaN is never within tolerance");
});
