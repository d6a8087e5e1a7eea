/**
 * Render chart specs offline in Deno: vega-lite → vega → SVG (vega's headless "none" renderer,
 * no canvas/DOM needed), and SVG → PNG with resvg compiled to WebAssembly (@resvg/resvg-wasm,
 * pure wasm, so it works without native addons or network).
 *
 * Fonts for PNG: resvg has no built-in fonts and draws no text without one. We load DejaVu Sans
 * from the system (`/usr/share/fonts/truetype/dejavu`, Debian package fonts-dejavu-core, present
 * on the project's machine image), falling back to Liberation/FreeSans, or a TTF/OTF named by the
 * environment variable KD_CHART_FONT (family name in KD_CHART_FONT_FAMILY). Without any font,
 * `renderPng` throws and `showChart` ships the bundle without a PNG.
 */
import "./_quiet_node_warnings.ts";
import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import type { ChartSpec } from "./spec.ts";
import { readSetting } from "../settings.ts";

/** Compile our vega-lite spec to a full vega spec (throws on invalid specs). */
export function toVegaSpec(spec: ChartSpec): vega.Spec {
  // ChartSpec is a structural subset of vega-lite's TopLevelSpec; the compiler validates it.
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec);
  return compiled.spec as unknown as vega.Spec;
}

/** 32-bit FNV-1a, used for deterministic per-chart id prefixes. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/**
 * vega names clip paths and legend gradients "clip1", "gradient_0", … in every SVG. Several
 * inline SVGs in one HTML page then share ids and `url(#clip1)` resolves to the FIRST chart's
 * element (wrong clipping, wrong legend colours). Prefix ids with a hash of the SVG itself: unique
 * per chart, yet deterministic so re-running a notebook gives identical output.
 */
export function uniquifySvgIds(svg: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  const prefix = `kd${fnv1a(svg)}-`;
  const map = (id: string) => (ids.has(id) ? prefix + id : id);
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${map(id)}"`)
    .replace(/url\(#([^)"']+)\)/g, (_, id: string) => `url(#${map(id)})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${map(id)}"`);
}

/** Render a chart to a standalone SVG string (`<svg …>…</svg>`). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new vega.View(vega.parse(toVegaSpec(spec)), { renderer: "none" });
  try {
    return uniquifySvgIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

interface FontChoice {
  files: string[];
  family: string;
}

const FONT_CANDIDATES: FontChoice[] = [
  {
    family: "DejaVu Sans",
    files: [
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ],
  },
  {
    family: "DejaVu Sans",
    files: ["/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"],
  },
  {
    family: "Liberation Sans",
    files: [
      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
      "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ],
  },
  {
    family: "FreeSans",
    files: [
      "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
      "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    ],
  },
  { family: "Arial", files: ["/Library/Fonts/Arial.ttf", "C:\\Windows\\Fonts\\arial.ttf"] },
];

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch {
    return undefined;
  }
}

interface LoadedFonts {
  buffers: Uint8Array[];
  family: string;
}

let fontsPromise: Promise<LoadedFonts | undefined> | undefined;

async function loadFonts(): Promise<LoadedFonts | undefined> {
  const custom = readSetting("KD_CHART_FONT");
  const choices: FontChoice[] = custom
    ? [{ family: readSetting("KD_CHART_FONT_FAMILY") ?? "DejaVu Sans", files: [custom] }]
    : [];
  for (const choice of [...choices, ...FONT_CANDIDATES]) {
    const buffers: Uint8Array[] = [];
    for (const f of choice.files) {
      const b = await readIfExists(f);
      if (b) buffers.push(b);
    }
    if (buffers.length > 0) return { buffers, family: choice.family };
  }
  return undefined;
}

let wasmPromise: Promise<void> | undefined;

/** resvg's wasm may be initialised only once per process; share one promise. */
function ensureWasm(): Promise<void> {
  wasmPromise ??= (async () => {
    const url = new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"));
    await initWasm(await Deno.readFile(url));
  })();
  return wasmPromise;
}

/** Name of the font family PNG text is drawn with, or undefined if no font could be found. */
export async function pngFontFamily(): Promise<string | undefined> {
  fontsPromise ??= loadFonts();
  return (await fontsPromise)?.family;
}

export interface PngOptions {
  /** Pixel density multiplier (default 1: the PNG has the SVG's CSS pixel size). */
  scale?: number;
}

/** Render a chart (or an SVG string) to PNG bytes. Throws if no usable font is installed. */
export async function renderPng(
  input: ChartSpec | string,
  options: PngOptions = {},
): Promise<Uint8Array> {
  const svg = typeof input === "string" ? input : await renderSvg(input);
  fontsPromise ??= loadFonts();
  const [fonts] = await Promise.all([fontsPromise, ensureWasm()]);
  if (!fonts) {
    throw new Error(
      "renderPng: no TrueType font found (install fonts-dejavu-core or set KD_CHART_FONT)",
    );
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: options.scale ?? 1 },
    font: {
      fontBuffers: fonts.buffers,
      defaultFontFamily: fonts.family,
      sansSerifFamily: fonts.family,
    },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/** The 8-byte PNG file signature, for callers and tests that sanity-check output. */
export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
