/**
 * Conv2DBackpropFilter for the wasm backend, which ships none (training a CNN
 * on stock wasm fails). The gradient is rewritten as one forward convolution so
 * that it runs in XNNPACK:
 *
 *   dW[a,b,ci,co] = Σ_{n,i,j} xpad[n, s·i + d·a, s·j + d·b, ci] · dy[n,i,j,co]
 *
 * which is conv2d(x as [Ci,H,W,N], dy as [Ho,Wo,N,Co]) with stride d and
 * dilation s, transposed [1,2,0,3]. Stride 1 and dilation 1 is the common case;
 * NCHW or non-float input falls back to a plain-JS loop (slow but right).
 */
import * as tf from "@tensorflow/tfjs";
import { trace } from "../../trace.ts";

type Attrs = tf.Conv2DBackpropFilterAttrs & { dilations?: [number, number] | number };
type ConvInfo = tf.backend_util.Conv2DInfo;

/**
 * Runs another wasm kernel from inside a kernel. The result is a TensorInfo that
 * the caller must release with `backend.disposeData(info.dataId)`.
 */
export function runWasmKernel(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  backend: tf.KernelBackend,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const config = tf.getKernel(name, "wasm");
  if (config === undefined) {
    throw new Error(`kernel '${name}' is not registered for the wasm backend`);
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`kernel '${name}' returned several outputs`);
  return out;
}

/** Computes the conv geometry of the forward convolution this gradient belongs to. */
export function forwardConvInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: {
    strides: [number, number] | number;
    pad: tf.Conv2DBackpropFilterAttrs["pad"];
    dataFormat: "NHWC" | "NCHW";
    dimRoundingMode?: "floor" | "round" | "ceil";
    dilations?: [number, number] | number;
  },
): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The registered kernel function (backend 'wasm', kernel 'Conv2DBackpropFilter'). */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as Attrs;
  const b = backend as tf.KernelBackend;
  const info = forwardConvInfo(x.shape, a.filterShape, a);
  const rewritable = info.dataFormat === "channelsLast" && x.dtype === "float32" &&
    dy.dtype === "float32" && sameShape(dy.shape, info.outShape) &&
    tf.util.sizeFromShape(x.shape) > 0 && tf.util.sizeFromShape(dy.shape) > 0;
  if (!rewritable) {
    trace("Conv2DBackpropFilter", "fallback");
    return conv2dBackpropFilterJs(x, dy, info, b);
  }
  trace("Conv2DBackpropFilter", "rewrite");
  if (xAsFilterPays(info)) {
    trace("Conv2DBackpropFilter", "xAsFilter");
    return filterGradWithXAsFilter(x, dy, info, b);
  }
  return filterGradAsConv(x, dy, info, b);
};

/**
 * Whether `filterGradWithXAsFilter` serves this gradient: stride and dilation
 * 1, padding that reads no row or column beyond the input's end, at least two
 * input channels (one would be a one-output convolution, which another kernel
 * serves in another order), and dy at least 4× the padded input, so that
 * packing the input instead of dy saves more than the narrow output costs.
 * Measured (2026-11-24, 2 threads): DeepNN's first layer, 3 → 128 channels,
 * 222 → 128 ms; LightNN's, 3 → 16, 19 → 16 ms; at 16 → 32 channels, where dy
 * is 1.5× the input, the swap would cost 12 → 16 ms.
 */
export function xAsFilterPays(info: ConvInfo): boolean {
  const { top, left } = info.padInfo;
  const rows = info.outHeight + info.filterHeight - 1;
  const cols = info.outWidth + info.filterWidth - 1;
  const padded = info.batchSize * rows * cols * info.inChannels;
  const dySize = info.batchSize * info.outHeight * info.outWidth * info.outChannels;
  return info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 &&
    info.dilationWidth === 1 && rows - top >= info.inHeight && cols - left >= info.inWidth &&
    info.inChannels >= 2 && dySize >= 4 * padded;
}

/**
 * The filter gradient with the roles swapped: the padded input x is the
 * filter and dy the image, for layers with few input channels. XNNPACK
 * transposes and packs its filter on every call, and there dy would be the
 * filter — for DeepNN's first layer 16.7M values, against 0.44M for the
 * padded input. With stride 1 (i ranges over dy, u over the padded input):
 *
 *   dW[a,b,ci,co] = Σ_{n,i,j} xpad[n,i+a,j+b,ci] · dy[n,i,j,co]
 *                 = conv2d(dy as [Co,Ho,Wo,N] padded by kh−1 and kw−1,
 *                          xpad as [Ho+kh−1, Wo+kw−1, N, Ci])[co, kh−1−a, kw−1−b, ci]
 *
 * Every dW element adds the same nonzero products in the same order as
 * `filterGradAsConv` (only zero padding terms differ), so results are
 * bit-identical (tested). Exported for tests.
 */
export function filterGradWithXAsFilter(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const { inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => (temps.push(t), t);
  try {
    const xPad = keep(runWasmKernel("PadV2", { x }, backend, {
      paddings: [[0, 0], [top, Ho + kh - 1 - H - top], [left, Wo + kw - 1 - W - left], [0, 0]],
      constantValue: 0,
    }));
    const filter = keep(runWasmKernel("Transpose", { x: xPad }, backend, { perm: [1, 2, 0, 3] }));
    const image = keep(runWasmKernel("Transpose", { x: dy }, backend, { perm: [3, 1, 2, 0] }));
    const g = keep(runWasmKernel("Conv2D", { x: image, filter }, backend, {
      strides: [1, 1],
      dilations: [1, 1],
      pad: [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]],
      dataFormat: "NHWC",
    }));
    const flipped = keep(runWasmKernel("Reverse", { x: g }, backend, { dims: [1, 2] }));
    return runWasmKernel("Transpose", { x: flipped }, backend, { perm: [1, 2, 3, 0] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** The filter gradient as one forward convolution with dy as the filter. Exported for tests. */
export function filterGradAsConv(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const {
    inHeight: H,
    inWidth: W,
    outHeight: Ho,
    outWidth: Wo,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = info;
  const { top, left } = info.padInfo;
  // Pad so the window of the "filter" (dy, dilated by the stride) fits kh rows;
  // a negative need means the forward conv never read x's last rows: compute a
  // little more and slice, which is cheaper than cropping x.
  const bottom = Math.max(0, dh * (kh - 1) + sh * (Ho - 1) + 1 - H - top);
  const right = Math.max(0, dw * (kw - 1) + sw * (Wo - 1) + 1 - W - left);
  const temps: tf.TensorInfo[] = [];
  try {
    const xT = runWasmKernel("Transpose", { x }, backend, { perm: [3, 1, 2, 0] });
    temps.push(xT);
    const dyT = runWasmKernel("Transpose", { x: dy }, backend, { perm: [1, 2, 0, 3] });
    temps.push(dyT);
    let g = runWasmKernel("Conv2D", { x: xT, filter: dyT }, backend, {
      strides: [dh, dw],
      dilations: [sh, sw],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: "NHWC",
    });
    temps.push(g);
    if (g.shape[1] !== kh || g.shape[2] !== kw) {
      g = runWasmKernel("Slice", { x: g }, backend, {
        begin: [0, 0, 0, 0],
        size: [g.shape[0], kh, kw, g.shape[3]],
      });
      temps.push(g);
    }
    return runWasmKernel("Transpose", { x: g }, backend, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Direct loop over the definition; handles NCHW, strides and dilations. */
function conv2dBackpropFilterJs(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const xv = backend.readSync(x.dataId) as tf.TypedArray;
  const dyv = backend.readSync(dy.dataId) as tf.TypedArray;
  const {
    batchSize: N,
    inHeight: H,
    inWidth: W,
    inChannels: Ci,
    outHeight: Ho,
    outWidth: Wo,
    outChannels: Co,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = info;
  const { top, left } = info.padInfo;
  const last = info.dataFormat === "channelsLast";
  // Element strides for (n, row, col, channel) in each layout.
  const xs = last ? [H * W * Ci, W * Ci, Ci, 1] : [Ci * H * W, W, 1, H * W];
  const ys = last ? [Ho * Wo * Co, Wo * Co, Co, 1] : [Co * Ho * Wo, Wo, 1, Ho * Wo];
  const dW = new Float32Array(kh * kw * Ci * Co);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      for (let ci = 0; ci < Ci; ci++) {
        for (let co = 0; co < Co; co++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            for (let i = 0; i < Ho; i++) {
              const xr = i * sh + r * dh - top;
              if (xr < 0 || xr >= H) continue;
              for (let j = 0; j < Wo; j++) {
                const xc = j * sw + c * dw - left;
                if (xc < 0 || xc >= W) continue;
                sum += xv[n * xs[0] + xr * xs[1] + xc * xs[2] + ci * xs[3]] *
                  dyv[n * ys[0] + i * ys[1] + j * ys[2] + co * ys[3]];
              }
            }
          }
          dW[((r * kw + c) * Ci + ci) * Co + co] = sum;
        }
      }
    }
  }
  const shape = [kh, kw, Ci, Co];
  return { dataId: backend.write(dW, shape, "float32"), shape, dtype: "float32" };
}
