/**
 * The text (WAT) of our wasm SIMD kernels: the loops of the batch-norm,
 * 2×2 max-pool gradient, Adam and middle-axes Sum/Mean kernels, run on the
 * wasm backend's own heap. The JS versions of these loops took about a sixth
 * of the notebook-01 teacher's step (measured 2026-11-24, 2 threads);
 * V8 does not vectorise JS and mispredicts the max-pool comparisons, which
 * wasm SIMD does four lanes at a time without branches.
 *
 * Two transposes (pure copies) serve the filter gradients' layout changes.
 *
 * Each function does exactly the arithmetic of its JS twin, in the same
 * order and precision (float64 sums and per-channel math for batch norm,
 * float32 rounding after every Adam operation), so results are bit-identical
 * (tested); only the lanes run side by side. Channel loops need C % 4 == 0.
 *
 * `scripts/build_simd_kernels.ts` compiles this text into kernels_wasm.ts.
 */

/**
 * `for (i = from; i < end; i = next) body` over an i32 local, compared
 * unsigned; `from` undefined continues from the local's current value.
 * `end` and `next` are WAT expressions.
 */
function forLoop(i: string, from: string | undefined, end: string, next: string, body: string) {
  const label = i.slice(1);
  return `
    ${from === undefined ? "" : `(local.set ${i} ${from})`}
    (block $${label}Done (loop $${label}Loop
      (br_if $${label}Done (i32.ge_u (local.get ${i}) ${end}))
      ${body}
      (local.set ${i} ${next})
      (br $${label}Loop)))`;
}

/** `(local.get i) + by` as a WAT expression; `by` a number or an expression. */
function plus(i: string, by: number | string): string {
  return `(i32.add (local.get ${i}) ${typeof by === "number" ? `(i32.const ${by})` : by})`;
}

const get = (name: string) => `(local.get ${name})`;

/**
 * One pass over an NHWC tensor, channel group by channel group (4 channels,
 * one v128) inside blocks of 32 positions, as the JS batch-norm kernels walk:
 * each channel sees its positions in order. `$o` is the byte offset of the
 * current element group from each tensor's start; `$g` the f64 byte offset of
 * the group's per-channel values (two v128 of f64: channels 0–1 and 2–3).
 */
function channelPass(opts: {
  name: string;
  params: string[];
  locals?: string[];
  /** Before a group's positions: load accumulators or per-channel constants. */
  setup: string;
  /** Per position: `(local.get $o)` is the element group's byte offset. */
  body: string;
  /** After a group's positions: store accumulators. */
  teardown?: string;
}): string {
  const positions = forLoop(
    "$o",
    plus("$b0", get("$k")),
    get("$end"),
    plus("$o", get("$stride")),
    opts.body,
  );
  const groups = forLoop(
    "$k",
    "(i32.const 0)",
    get("$stride"),
    plus("$k", 16),
    `
    (local.set $g (i32.shl (local.get $k) (i32.const 1)))
    ${opts.setup}
    ${positions}
    ${opts.teardown ?? ""}`,
  );
  // Blocks of 32 positions; the last may be shorter.
  const blocks = forLoop(
    "$b0",
    "(i32.const 0)",
    get("$total"),
    get("$end"),
    `
    (local.set $end (select (local.get $total) (i32.add (local.get $b0) (local.get $block))
      (i32.lt_u (i32.sub (local.get $total) (local.get $b0)) (local.get $block))))
    ${groups}`,
  );
  return `
  (func (export "${opts.name}") (param $n i32) (param $c i32) ${
    opts.params.map((p) => `(param ${p} i32)`).join(" ")
  }
    (local $stride i32) (local $block i32) (local $total i32) (local $b0 i32) (local $end i32)
    (local $k i32) (local $o i32) (local $g i32) (local $lo v128) (local $hi v128)
    ${(opts.locals ?? []).join(" ")}
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    (local.set $block (i32.shl (local.get $stride) (i32.const 5)))
    (local.set $total (i32.shl (local.get $n) (i32.const 2)))
    ${blocks}
  )`;
}

/** Loads 4 floats at `base + $o` and widens them to f64: lanes 0–1 into `lo`, 2–3 into `hi`. */
function widen(base: string, lo: string, hi: string): string {
  return `
    (local.set $v (v128.load (i32.add (local.get ${base}) (local.get $o))))
    (local.set ${lo} (f64x2.promote_low_f32x4 (local.get $v)))
    (local.set ${hi} (f64x2.promote_low_f32x4
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))`;
}

/** Stores f64x2 `lo` and `hi` at `base + $o` as 4 floats (round to nearest, as a Float32Array store). */
function narrowStore(base: string, lo: string, hi: string): string {
  return `
    (v128.store (i32.add (local.get ${base}) (local.get $o))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero ${lo}) (f32x4.demote_f64x2_zero ${hi})))`;
}

/** A group's two f64x2 of per-channel values from the f64 array at `base`. */
function loadPair(base: string, lo: string, hi: string): string {
  return `
    (local.set ${lo} (v128.load (i32.add (local.get ${base}) (local.get $g))))
    (local.set ${hi} (v128.load offset=16 (i32.add (local.get ${base}) (local.get $g))))`;
}

function storePair(base: string, lo: string, hi: string): string {
  return `
    (v128.store (i32.add (local.get ${base}) (local.get $g)) (local.get ${lo}))
    (v128.store offset=16 (i32.add (local.get ${base}) (local.get $g)) (local.get ${hi}))`;
}

const V = "(local $v v128)";

/** sum[k] += x (f64), per channel. */
const channelSums = channelPass({
  name: "channelSums",
  params: ["$x", "$sum"],
  locals: [V, "(local $xl v128) (local $xh v128)"],
  setup: loadPair("$sum", "$lo", "$hi"),
  body: widen("$x", "$xl", "$xh") + `
    (local.set $lo (f64x2.add (local.get $lo) (local.get $xl)))
    (local.set $hi (f64x2.add (local.get $hi) (local.get $xh)))`,
  teardown: storePair("$sum", "$lo", "$hi"),
});

/** sq[k] += (x − mean[k])², all f64. */
const channelSquares = channelPass({
  name: "channelSquares",
  params: ["$x", "$mean", "$sq"],
  locals: [V, "(local $xl v128) (local $xh v128) (local $ml v128) (local $mh v128)"],
  setup: loadPair("$sq", "$lo", "$hi") + loadPair("$mean", "$ml", "$mh"),
  body: widen("$x", "$xl", "$xh") + `
    (local.set $xl (f64x2.sub (local.get $xl) (local.get $ml)))
    (local.set $xh (f64x2.sub (local.get $xh) (local.get $mh)))
    (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $xl) (local.get $xl))))
    (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $xh) (local.get $xh))))`,
  teardown: storePair("$sq", "$lo", "$hi"),
});

/** y = x·a[k] + b[k] in f64, stored as float32. */
const channelAffine = channelPass({
  name: "channelAffine",
  params: ["$x", "$a", "$b", "$y"],
  locals: [V, "(local $xl v128) (local $xh v128) (local $bl v128) (local $bh v128)"],
  setup: loadPair("$a", "$lo", "$hi") + loadPair("$b", "$bl", "$bh"),
  body: widen("$x", "$xl", "$xh") + narrowStore(
    "$y",
    "(f64x2.add (f64x2.mul (local.get $xl) (local.get $lo)) (local.get $bl))",
    "(f64x2.add (f64x2.mul (local.get $xh) (local.get $hi)) (local.get $bh))",
  ),
});

/** sumDy[k] += dy; sumDyXc[k] += dy·(x − mean[k]), all f64. */
const channelGradSums = channelPass({
  name: "channelGradSums",
  params: ["$dy", "$x", "$mean", "$sumDy", "$sumDyXc"],
  locals: [
    V,
    "(local $gl v128) (local $gh v128) (local $xl v128) (local $xh v128)",
    "(local $ml v128) (local $mh v128) (local $sl v128) (local $sh v128)",
  ],
  setup: loadPair("$sumDy", "$lo", "$hi") + loadPair("$sumDyXc", "$sl", "$sh") +
    loadPair("$mean", "$ml", "$mh"),
  body: widen("$dy", "$gl", "$gh") + widen("$x", "$xl", "$xh") + `
    (local.set $lo (f64x2.add (local.get $lo) (local.get $gl)))
    (local.set $hi (f64x2.add (local.get $hi) (local.get $gh)))
    (local.set $sl (f64x2.add (local.get $sl)
      (f64x2.mul (local.get $gl) (f64x2.sub (local.get $xl) (local.get $ml)))))
    (local.set $sh (f64x2.add (local.get $sh)
      (f64x2.mul (local.get $gh) (f64x2.sub (local.get $xh) (local.get $mh)))))`,
  teardown: storePair("$sumDy", "$lo", "$hi") + storePair("$sumDyXc", "$sl", "$sh"),
});

/** dx = (a[k]·dy + b[k]·x) + c[k] in f64, stored as float32. */
const channelGradApply = channelPass({
  name: "channelGradApply",
  params: ["$dy", "$x", "$a", "$b", "$cc", "$dx"],
  locals: [
    V,
    "(local $gl v128) (local $gh v128) (local $xl v128) (local $xh v128)",
    "(local $bl v128) (local $bh v128) (local $cl v128) (local $ch v128)",
  ],
  setup: loadPair("$a", "$lo", "$hi") + loadPair("$b", "$bl", "$bh") +
    loadPair("$cc", "$cl", "$ch"),
  body: widen("$dy", "$gl", "$gh") + widen("$x", "$xl", "$xh") + narrowStore(
    "$dx",
    `(f64x2.add (f64x2.add (f64x2.mul (local.get $lo) (local.get $gl))
      (f64x2.mul (local.get $bl) (local.get $xl))) (local.get $cl))`,
    `(f64x2.add (f64x2.add (f64x2.mul (local.get $hi) (local.get $gh))
      (f64x2.mul (local.get $bh) (local.get $xh))) (local.get $ch))`,
  ),
});

/**
 * 2×2, stride-2 max-pool gradient: per window and 4 channels, the first
 * maximum in scan order (a, b, c, d) gets dy, the others 0. `>` is false for
 * NaN, as in JS. Rows and columns past 2·Ho, 2·Wo are not written.
 */
const maxPool2x2Grad = (() => {
  const channels = forLoop(
    "$k",
    "(i32.const 0)",
    get("$stride"),
    plus("$k", 16),
    `
    (local.set $p (i32.add (local.get $px) (local.get $k)))
    (local.set $a (v128.load (i32.add (local.get $x) (local.get $p))))
    (local.set $b (v128.load (i32.add (local.get $x) (i32.add (local.get $p) (local.get $stride)))))
    (local.set $cv (v128.load (i32.add (local.get $x) (i32.add (local.get $p) (local.get $row)))))
    (local.set $d (v128.load (i32.add (local.get $x)
      (i32.add (i32.add (local.get $p) (local.get $row)) (local.get $stride)))))
    (local.set $w1 (f32x4.gt (local.get $b) (local.get $a)))
    (local.set $best (v128.bitselect (local.get $b) (local.get $a) (local.get $w1)))
    (local.set $w2 (f32x4.gt (local.get $cv) (local.get $best)))
    (local.set $best (v128.bitselect (local.get $cv) (local.get $best) (local.get $w2)))
    (local.set $w3 (f32x4.gt (local.get $d) (local.get $best)))
    (local.set $gv (v128.load (i32.add (local.get $q) (local.get $k))))
    ;; winner masks: d if w3; else c if w2; else b if w1; else a
    (v128.store (i32.add (local.get $dx)
      (i32.add (i32.add (local.get $p) (local.get $row)) (local.get $stride)))
      (v128.and (local.get $gv) (local.get $w3)))
    (local.set $gv (v128.andnot (local.get $gv) (local.get $w3)))
    (v128.store (i32.add (local.get $dx) (i32.add (local.get $p) (local.get $row)))
      (v128.and (local.get $gv) (local.get $w2)))
    (local.set $gv (v128.andnot (local.get $gv) (local.get $w2)))
    (v128.store (i32.add (local.get $dx) (i32.add (local.get $p) (local.get $stride)))
      (v128.and (local.get $gv) (local.get $w1)))
    (v128.store (i32.add (local.get $dx) (local.get $p))
      (v128.andnot (local.get $gv) (local.get $w1)))`,
  );
  const windows = forLoop(
    "$j",
    "(i32.const 0)",
    get("$wo"),
    plus("$j", 1),
    `
    ;; byte offset of the window's top-left pixel
    (local.set $px (i32.mul (local.get $stride) (i32.add
      (i32.mul (i32.add (i32.mul (local.get $img) (local.get $h))
        (i32.shl (local.get $i) (i32.const 1))) (local.get $w))
      (i32.shl (local.get $j) (i32.const 1)))))
    ${channels}
    (local.set $q (i32.add (local.get $q) (local.get $stride)))`,
  );
  const rows = forLoop("$i", "(i32.const 0)", get("$ho"), plus("$i", 1), windows);
  const images = forLoop("$img", "(i32.const 0)", get("$n"), plus("$img", 1), rows);
  return `
  (func (export "maxPool2x2Grad") (param $x i32) (param $dy i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (local $ho i32) (local $wo i32) (local $px i32) (local $row i32) (local $q i32)
    (local $img i32) (local $i i32) (local $j i32) (local $k i32) (local $p i32) (local $stride i32)
    (local $a v128) (local $b v128) (local $cv v128) (local $d v128) (local $best v128)
    (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $gv v128)
    (local.set $ho (i32.shr_u (local.get $h) (i32.const 1)))
    (local.set $wo (i32.shr_u (local.get $w) (i32.const 1)))
    (local.set $stride (i32.shl (local.get $c) (i32.const 2)))
    (local.set $row (i32.mul (local.get $w) (local.get $stride)))
    (local.set $q (local.get $dy))
    ${images}
  )`;
})();

/**
 * One Adam step over n floats: the stock chain's operations, each rounded to
 * float32 (f32 arithmetic is the correctly rounded result, as Math.fround of
 * the float64 result is). Four lanes at a time, then a scalar tail.
 */
function adamStep(vec: boolean): string {
  const t = vec ? "f32x4" : "f32";
  const get = (name: string) => vec ? `(f32x4.splat (local.get ${name}))` : `(local.get ${name})`;
  const load = vec ? "v128.load" : "f32.load";
  const store = vec ? "v128.store" : "f32.store";
  const at = (base: string) => `(i32.add (local.get ${base}) (local.get $o))`;
  return `
    (local.set ${vec ? "$gv" : "$gs"} (${load} ${at("$g")}))
    (local.set ${vec ? "$mv" : "$ms"} (${t}.add (${t}.mul (${load} ${at("$m")}) ${get("$b1")})
      (${t}.mul (local.get ${vec ? "$gv" : "$gs"}) ${get("$omb1")})))
    (local.set ${vec ? "$vv" : "$vs"} (${t}.add (${t}.mul (${load} ${at("$v")}) ${get("$b2")})
      (${t}.mul (${t}.mul (local.get ${vec ? "$gv" : "$gs"}) (local.get ${vec ? "$gv" : "$gs"}))
        ${get("$omb2")})))
    (${store} ${at("$outM")} (local.get ${vec ? "$mv" : "$ms"}))
    (${store} ${at("$outV")} (local.get ${vec ? "$vv" : "$vs"}))
    (${store} ${at("$outValue")} (${t}.add
      (${t}.mul (${t}.div (${t}.div (local.get ${vec ? "$mv" : "$ms"}) ${get("$c1")})
        (${t}.add (${t}.sqrt (${t}.div (local.get ${vec ? "$vv" : "$vs"}) ${get("$c2")}))
          ${get("$eps")}))
        ${get("$negLr")})
      (${load} ${at("$value")})))`;
}

const adam = `
  (func (export "adam") (param $value i32) (param $m i32) (param $v i32) (param $g i32)
    (param $outValue i32) (param $outM i32) (param $outV i32) (param $n i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32)
    (param $c1 f32) (param $c2 f32) (param $eps f32) (param $negLr f32)
    (local $o i32) (local $vecEnd i32) (local $end i32)
    (local $gv v128) (local $mv v128) (local $vv v128) (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vecEnd (i32.and (local.get $end) (i32.const -16)))
    ${forLoop("$o", "(i32.const 0)", get("$vecEnd"), plus("$o", 16), adamStep(true))}
    ${forLoop("$o", undefined, get("$end"), plus("$o", 4), adamStep(false))}
  )`;

/** i8x16.shuffle lane bytes picking float lanes (0–3 first operand, 4–7 second). */
function floatLanes(...lanes: number[]): string {
  return lanes.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b)).join(" ");
}

/** [A,B,C] → [B,A,C] for 4-byte elements, C % 4 == 0: rows of C copied 16 bytes at a time. */
const swapOuter = (() => {
  const copy = forLoop(
    "$o",
    "(i32.const 0)",
    get("$row"),
    plus("$o", 16),
    `
    (v128.store (i32.add (local.get $dst) (local.get $o))
      (v128.load (i32.add (local.get $from) (local.get $o))))`,
  );
  const rows = forLoop(
    "$ai",
    "(i32.const 0)",
    get("$a"),
    plus("$ai", 1),
    `
    (local.set $from (i32.add (local.get $src) (i32.mul (local.get $row)
      (i32.add (i32.mul (local.get $ai) (local.get $b)) (local.get $bi)))))
    ${copy}
    (local.set $dst (i32.add (local.get $dst) (local.get $row)))`,
  );
  return `
  (func (export "swapOuter") (param $src i32) (param $dst i32) (param $a i32) (param $b i32)
    (param $c i32)
    (local $row i32) (local $ai i32) (local $bi i32) (local $from i32) (local $o i32)
    (local.set $row (i32.shl (local.get $c) (i32.const 2)))
    ${forLoop("$bi", "(i32.const 0)", get("$b"), plus("$bi", 1), rows)}
  )`;
})();

/**
 * [A,B,C] → [C,B,A] for 4-byte elements, A % 4 == 0 and C % 4 == 0: 4×4
 * blocks transposed in registers; each output row is written in order.
 */
const swapOuterInner = (() => {
  const block = forLoop(
    "$a0",
    "(i32.const 0)",
    get("$a"),
    plus("$a0", 4),
    `
    ;; input [a0, bi, c0], output [c0, bi, a0]
    (local.set $p (i32.add (local.get $src) (i32.shl (i32.add
      (i32.mul (i32.add (i32.mul (local.get $a0) (local.get $b)) (local.get $bi))
        (local.get $c)) (local.get $c0)) (i32.const 2))))
    (local.set $q (i32.add (local.get $dst) (i32.shl (i32.add
      (i32.mul (i32.add (i32.mul (local.get $c0) (local.get $b)) (local.get $bi))
        (local.get $a)) (local.get $a0)) (i32.const 2))))
    (local.set $r0 (v128.load (local.get $p)))
    (local.set $r1 (v128.load (i32.add (local.get $p) (local.get $inRow))))
    (local.set $r2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $inRow) (i32.const 1)))))
    (local.set $r3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $inRow) (i32.const 3)))))
    (local.set $lo01 (i8x16.shuffle ${floatLanes(0, 4, 1, 5)} (local.get $r0) (local.get $r1)))
    (local.set $hi01 (i8x16.shuffle ${floatLanes(2, 6, 3, 7)} (local.get $r0) (local.get $r1)))
    (local.set $lo23 (i8x16.shuffle ${floatLanes(0, 4, 1, 5)} (local.get $r2) (local.get $r3)))
    (local.set $hi23 (i8x16.shuffle ${floatLanes(2, 6, 3, 7)} (local.get $r2) (local.get $r3)))
    (v128.store (local.get $q)
      (i8x16.shuffle ${floatLanes(0, 1, 4, 5)} (local.get $lo01) (local.get $lo23)))
    (v128.store (i32.add (local.get $q) (local.get $outRow))
      (i8x16.shuffle ${floatLanes(2, 3, 6, 7)} (local.get $lo01) (local.get $lo23)))
    (v128.store (i32.add (local.get $q) (i32.shl (local.get $outRow) (i32.const 1)))
      (i8x16.shuffle ${floatLanes(0, 1, 4, 5)} (local.get $hi01) (local.get $hi23)))
    (v128.store (i32.add (local.get $q) (i32.mul (local.get $outRow) (i32.const 3)))
      (i8x16.shuffle ${floatLanes(2, 3, 6, 7)} (local.get $hi01) (local.get $hi23)))`,
  );
  const channels = forLoop("$c0", "(i32.const 0)", get("$c"), plus("$c0", 4), block);
  return `
  (func (export "swapOuterInner") (param $src i32) (param $dst i32) (param $a i32) (param $b i32)
    (param $c i32)
    (local $bi i32) (local $c0 i32) (local $a0 i32) (local $p i32) (local $q i32)
    (local $inRow i32) (local $outRow i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $lo01 v128) (local $hi01 v128) (local $lo23 v128) (local $hi23 v128)
    ;; bytes between consecutive a in the input, and between consecutive c in the output
    (local.set $inRow (i32.shl (i32.mul (local.get $b) (local.get $c)) (i32.const 2)))
    (local.set $outRow (i32.shl (i32.mul (local.get $b) (local.get $a)) (i32.const 2)))
    ${forLoop("$bi", "(i32.const 0)", get("$b"), plus("$bi", 1), channels)}
  )`;
})();

/** The module's text; `shared` must match the backend's memory (threaded builds share it). */
export function simdKernelsWat(shared: boolean): string {
  return `(module
  (import "env" "memory" (memory 1${shared ? " 65536 shared" : ""}))
  ${channelSums}
  ${channelSquares}
  ${channelAffine}
  ${channelGradSums}
  ${channelGradApply}
  ${maxPool2x2Grad}
  ${adam}
  ${swapOuter}
  ${swapOuterInner}
)
`;
}
