/** Checks of the oneDNN kernels' arguments, shared by the primitive families. */

export function expectLength(name: string, view: Float32Array, length: number): void {
  if (view.length !== length) {
    throw new RangeError(`${name} has ${view.length} elements, the shape needs ${length}`);
  }
}

export function expectBytes(name: string, view: Uint8Array, bytes: number): void {
  if (view.byteLength !== bytes) {
    throw new RangeError(`${name} has ${view.byteLength} bytes, the shape needs ${bytes}`);
  }
}

export function expectPositive(what: string, values: Record<string, number>, min = 1): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`${what}: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
  }
}

/**
 * A sliding window's fields (a conv filter or a pooling window): what `Conv2DParams` and
 * `Pool2DParams` share, and what `checkWindow` reads.
 */
export interface WindowGeometry {
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/**
 * A sliding window's geometry: every field but the pads (the batch and channels
 * too) a positive integer, the pads ≥ 0, and the output as it follows.
 */
export function checkWindow(
  what: string,
  p: WindowGeometry,
  window: "filter" | "window",
  dilation: { height: number; width: number },
): void {
  const { padTop, padLeft, padBottom, padRight, ...sizes } = p;
  expectPositive(what, sizes);
  expectPositive(what, { padTop, padLeft, padBottom, padRight }, 0);
  const out = (size: number, k: number, d: number, s: number, pads: number) =>
    Math.floor((size + pads - ((k - 1) * d + 1)) / s) + 1;
  const h = out(p.inHeight, p.filterHeight, dilation.height, p.strideHeight, padTop + padBottom);
  const w = out(p.inWidth, p.filterWidth, dilation.width, p.strideWidth, padLeft + padRight);
  if (h !== p.outHeight || w !== p.outWidth) {
    throw new RangeError(
      `${what}: output ${p.outHeight}x${p.outWidth} does not follow from the input, ${window}, ` +
        `strides and pads (${h}x${w})`,
    );
  }
}
