/**
 * The browser builds the HTML reports inline (scripts/lessons/report_html.py): vega, vega-lite and
 * vega-embed, from the npm packages pinned in deno.json, read from node_modules (nodeModulesDir is
 * "auto", so Deno puts every import of deno.json there on first run). Taking them from the pinned
 * packages, not a CDN, is what lets a report render its charts offline and keeps its versions the
 * ones the charts were written for.
 *
 * `deno run -A scripts/lessons/report_assets.ts` prints the paths, one a line.
 */
import { join } from "node:path";

/** In page order: vega-lite needs vega, vega-embed needs both. */
export const REPORT_PACKAGES = ["vega", "vega-lite", "vega-embed"] as const;
export type ReportPackage = typeof REPORT_PACKAGES[number];

/** One inlined build. */
export interface ReportScript {
  name: ReportPackage;
  version: string;
  path: string;
}

/** A missing or mismatched build; the message says what to run. */
export class ReportAssetError extends Error {
  override name = "ReportAssetError";
}

/** The version deno.json pins for `name` (its import is `npm:name@version`). */
export function pinnedVersion(
  denoJson: { imports?: Record<string, string> },
  name: string,
): string {
  const spec = denoJson.imports?.[name];
  const m = spec?.match(/^npm:(@?[^@]+)@(\d+\.\d+\.\d+)$/);
  if (!m || m[1] !== name) {
    throw new ReportAssetError(`deno.json must pin ${name} as "npm:${name}@x.y.z", got ${spec}`);
  }
  return m[2];
}

/**
 * The minified UMD build of each report package under `root`/node_modules, checked to be the
 * version deno.json pins (a stale node_modules would otherwise put other versions in the reports).
 */
export async function reportScripts(root: string): Promise<ReportScript[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const scripts: ReportScript[] = [];
  for (const name of REPORT_PACKAGES) {
    const version = pinnedVersion(denoJson, name);
    const dir = join(root, "node_modules", name);
    let installed: string;
    try {
      installed = JSON.parse(await Deno.readTextFile(join(dir, "package.json"))).version;
      await Deno.stat(join(dir, "build", `${name}.min.js`));
    } catch {
      throw new ReportAssetError(
        `${dir}/build/${name}.min.js is missing: run \`deno install\` in ${root} (the HTML ` +
          `reports inline it)`,
      );
    }
    if (installed !== version) {
      throw new ReportAssetError(
        `node_modules has ${name} ${installed}, deno.json pins ${version}: run \`deno install\``,
      );
    }
    scripts.push({ name, version, path: join(dir, "build", `${name}.min.js`) });
  }
  return scripts;
}

if (import.meta.main) {
  const root = new URL("../../", import.meta.url).pathname;
  for (const s of await reportScripts(root)) console.log(s.path);
}
