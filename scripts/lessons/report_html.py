#!/usr/bin/python3
"""HTML reports of executed notebooks, with charts that stay interactive offline.

The template (scripts/lessons/nbconvert_template) keeps each chart's SVG as the static fallback and its
vega-lite spec beside it; the scripts given here (vega, vega-lite and vega-embed builds from the
npm packages pinned in deno.json, which scripts/lessons/report_assets.ts locates) are inlined into the
report with the template's embed_charts.js, so one HTML file renders every chart from its spec
without a network or a second file. Without scripts the report shows the static SVGs only.

scripts/lessons/execute_notebooks.py calls `write_html` for each notebook it runs; by hand, for notebooks
already executed (the paths are what `deno run -A scripts/lessons/report_assets.ts` prints):

    python3 scripts/lessons/report_html.py --out-dir build/html \
        --report-script node_modules/vega/build/vega.min.js ... build/notebooks/*.ipynb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
TEMPLATE_NAME = "nbconvert_template"  # scripts/lessons/nbconvert_template: lab + raw SVG + chart embeds
EMBED_SCRIPT = SCRIPT_DIR / TEMPLATE_NAME / "embed_charts.js"
# Debian's libjs-mathjax (installed with jupyter-notebook): formulas render from file:// offline.
# Elsewhere nbconvert's default MathJax URL stays (formulas then need a network).
LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")


def inline_safe(text: str) -> str:
    """JavaScript that can sit inside <script>…</script>: no early end tag, no comment opener.

    Both rewrites keep the program's meaning where they can occur (inside strings and regexes,
    where `\\/` is `/` and `\\!` is `!`).
    """
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def load_scripts(paths: list[Path]) -> list[dict[str, str]]:
    """The report's scripts in page order: the given builds, then the embed runtime."""
    scripts = []
    for path in [*paths, EMBED_SCRIPT] if paths else []:
        if not path.is_file():
            raise FileNotFoundError(
                f"report script {path} is missing (npm packages not installed? run `deno install`)"
            )
        scripts.append({"name": path.name, "text": inline_safe(path.read_text(encoding="utf-8"))})
    return scripts


def write_html(
    nb, name: str, html_path: Path, scripts: list[dict[str, str]], source: Path | None = None
) -> None:
    """Writes `nb` (a NotebookNode) as an HTML report titled `name`.

    `source`, the executed notebook's path, is recorded in the report's <meta name="kd-notebook">
    (the browser test counts that notebook's charts against the report's).
    """
    from nbconvert import HTMLExporter  # imported lazily: only needed for reports

    exporter = HTMLExporter(
        extra_template_basedirs=[str(SCRIPT_DIR)], template_name=TEMPLATE_NAME
    )
    if LOCAL_MATHJAX.is_file():
        exporter.mathjax_url = f"{LOCAL_MATHJAX.as_uri()}?config=TeX-AMS_CHTML-full,Safe"
    resources = {"metadata": {"name": name}, "kd_report_scripts": scripts}
    if source is not None:
        resources["kd_notebook"] = source.as_posix()
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Write HTML reports of executed notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--report-script", type=Path, action="append", default=[],
                        help="a JavaScript build to inline, in page order (repeat it)")
    args = parser.parse_args(argv)
    scripts = load_scripts(args.report_script)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for nb_path in args.notebooks:
        nb = nbformat.read(str(nb_path), as_version=4)
        html_path = args.out_dir / (nb_path.stem + ".html")
        write_html(nb, nb_path.stem, html_path, scripts, source=nb_path)
        print(f"{nb_path} -> {html_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
