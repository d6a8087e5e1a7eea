#!/usr/bin/python3
"""Execute notebooks headlessly with the Deno kernel; output after a cell's idle is an error.

Why not plain `jupyter nbconvert --execute` / nbclient: Deno 2.9's kernel publishes a cell's
queued output from another thread, with no wait before the cell's reply, so the tail of a
cell's output could arrive after its `idle` status (nbclient stops reading there and loses it)
or under the next cell. lib/notebook/kernel_output.ts now holds each cell's end until its output
is out (issue 28). This executor still reads iopub after `idle` until the channel has been quiet
for a grace period, routes every message to its own cell by parent msg_id, keeps what arrives
late, and fails the notebook naming each cell that had late output: a learner's JupyterLab
would have shown it under another cell or dropped it.

`deno task lessons` runs it with a Python that has jupyter_client, nbformat and nbconvert: one
already installed, or the project venv .venv-jupyter/, or Debian's python3-nbclient,
python3-nbformat, jupyter-client and jupyter-nbconvert, which scripts/lessons/jupyter_setup.ts installs
where needed. The kernelspec comes from `deno jupyter --install --force`. By hand:

    .venv-jupyter/bin/python scripts/lessons/execute_notebooks.py --out-dir build/notebooks \
        --html-dir build/html notebooks/*.ipynb

(add `--report-script PATH` for each path `deno run -A scripts/lessons/report_assets.ts` prints, so the
reports' charts are interactive; scripts/lessons/report_html.py says how the reports are built).

Exit status: 0 if every notebook ran without an error output or late output; 1 otherwise, after
naming the notebook and cell index of each failure (kernel death and cell timeouts count too);
2 for usage errors. Environment variables (KD_PROFILE etc.) are passed through to the kernel.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbformat.v4 import output_from_msg
except ImportError as exc:  # pragma: no cover - environment problem, explain it
    sys.exit(
        f"execute_notebooks.py: {exc}. Run it through `deno task lessons`, which finds or "
        "installs the Jupyter client (scripts/lessons/jupyter_setup.ts)."
    )

from report_html import load_scripts, write_html  # noqa: E402 - beside this file


class NotebookError(Exception):
    """A notebook failed; the message names the notebook and the cell index."""


@dataclass
class CellRecord:
    index: int
    cell: nbformat.NotebookNode
    pending_clear: bool = False
    late_outputs: int = 0  # outputs that arrived after the cell's idle status
    error: str | None = None


@dataclass
class RunStats:
    seconds: float = 0.0
    cells: int = 0
    late_outputs: int = 0
    failures: list[str] = field(default_factory=list)


class DenoNotebookRunner:
    """Runs one notebook's code cells in a fresh kernel, cell by cell."""

    def __init__(
        self,
        path: Path,
        kernel_name: str,
        grace: float,
        max_grace: float,
        cell_timeout: float,
        startup_timeout: float,
        verbose: bool,
    ) -> None:
        self.path = path
        self.kernel_name = kernel_name
        self.grace = grace
        self.max_grace = max_grace
        self.cell_timeout = cell_timeout
        self.startup_timeout = startup_timeout
        self.verbose = verbose
        self.nb = nbformat.read(str(path), as_version=4)
        # msg_id -> cell, for every cell executed so far: late messages still find their cell.
        self.owners: dict[str, CellRecord] = {}
        # display_id -> outputs showing it (update_display_data replaces their data in place).
        self.displays: dict[str, list[nbformat.NotebookNode]] = {}
        self.km: KernelManager | None = None
        self.kc = None

    def log(self, text: str) -> None:
        if self.verbose:
            print(f"  [{self.path.name}] {text}", flush=True)

    # -- kernel lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        self.km = KernelManager(kernel_name=self.kernel_name)
        # cwd = the notebook's folder, so relative imports ("../lib/...") resolve as in Jupyter.
        self.km.start_kernel(cwd=str(self.path.parent.resolve()), env=os.environ.copy())
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as exc:
            raise NotebookError(f"{self.path}: kernel did not start: {exc}") from exc
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                reply = self.kc.get_shell_msg(timeout=1)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                info = reply["content"].get("language_info")
                if info:
                    self.nb.metadata["language_info"] = info
                break

    def stop(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            try:
                self.km.shutdown_kernel(now=False)
            except Exception:  # noqa: BLE001 - a stuck kernel must not hide the real result
                self.km.shutdown_kernel(now=True)

    # -- message handling ---------------------------------------------------------------------

    def handle_iopub(self, msg: dict, current: str | None, idle_seen: bool) -> tuple[bool, bool]:
        """Apply one iopub message. Returns (belongs_to_current_cell, is_current_idle)."""
        parent = msg.get("parent_header", {}).get("msg_id")
        rec = self.owners.get(parent)
        if rec is None:
            return False, False
        is_current = parent == current
        mtype = msg["msg_type"]
        content = msg["content"]
        outputs = rec.cell.outputs
        if mtype == "status":
            return is_current, is_current and content.get("execution_state") == "idle"
        if mtype == "execute_input":
            rec.cell.execution_count = content.get("execution_count")
            return is_current, False
        if mtype == "clear_output":
            if content.get("wait"):
                rec.pending_clear = True
            else:
                self.clear_outputs(rec)
            return is_current, False
        if mtype == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for out in self.displays.get(display_id, []):
                out["data"] = nbformat.from_dict(content.get("data", {}))
                out["metadata"] = nbformat.from_dict(content.get("metadata", {}))
            return is_current, False
        if mtype not in ("stream", "display_data", "execute_result", "error"):
            return is_current, False  # comm messages and the like

        if rec.pending_clear:
            self.clear_outputs(rec)
            rec.pending_clear = False
        if not is_current or idle_seen:
            rec.late_outputs += 1
            where = "after idle" if is_current else "after the cell had finished"
            self.log(f"cell {rec.index}: {mtype} arrived {where}")
        if mtype == "stream" and outputs and outputs[-1].get("output_type") == "stream" and (
            outputs[-1].get("name") == content.get("name")
        ):
            outputs[-1]["text"] += content.get("text", "")
            return is_current, False
        out = output_from_msg(msg)
        outputs.append(out)
        display_id = content.get("transient", {}).get("display_id")
        if display_id and mtype in ("display_data", "execute_result"):
            self.displays.setdefault(display_id, []).append(out)
        if mtype == "error":
            rec.error = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
        return is_current, False

    def clear_outputs(self, rec: CellRecord) -> None:
        for outs in self.displays.values():
            outs[:] = [o for o in outs if not any(o is x for x in rec.cell.outputs)]
        rec.cell.outputs = []

    def drain(self, seconds: float) -> None:
        """Read iopub for `seconds`, routing any late message to its cell."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            self.handle_iopub(msg, None, True)

    # -- execution --------------------------------------------------------------------------

    def run_cell(self, rec: CellRecord) -> None:
        cell = rec.cell
        cell.outputs = []
        cell.execution_count = None
        msg_id = self.kc.execute(cell.source, store_history=True, allow_stdin=False,
                                 stop_on_error=True)
        self.owners[msg_id] = rec
        start = time.monotonic()
        reply = None
        idle_at: float | None = None
        last_activity = start
        last_alive_check = start
        while True:
            now = time.monotonic()
            if idle_at is not None and reply is not None:
                quiet = now - last_activity
                if quiet >= self.grace or now - idle_at >= self.max_grace:
                    break
            if now - start > self.cell_timeout:
                raise NotebookError(
                    f"{self.path}: cell {rec.index} timed out after {self.cell_timeout:.0f} s"
                )
            if now - last_alive_check > 1.0:
                last_alive_check = now
                if not self.km.is_alive():
                    raise NotebookError(f"{self.path}: kernel died while running cell {rec.index}")
            if reply is None:
                try:
                    msg = self.kc.get_shell_msg(timeout=0)
                    if msg["parent_header"].get("msg_id") == msg_id:
                        reply = msg
                        count = msg["content"].get("execution_count")
                        if count is not None:
                            cell.execution_count = count
                        if msg["content"].get("status") == "error" and rec.error is None:
                            c = msg["content"]
                            rec.error = f"{c.get('ename', 'Error')}: {c.get('evalue', '')}"
                except queue.Empty:
                    pass
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                continue
            mine, idle = self.handle_iopub(msg, msg_id, idle_at is not None)
            if mine:
                last_activity = time.monotonic()
            if idle and idle_at is None:
                idle_at = time.monotonic()

    def run(self) -> RunStats:
        stats = RunStats()
        t0 = time.monotonic()
        self.start()
        try:
            stopped = False
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code":
                    continue
                if stopped or not cell.source.strip():
                    # Not run (after a failure, or empty): drop stale outputs of the input file.
                    cell.outputs = []
                    cell.execution_count = None
                    continue
                rec = CellRecord(index=index, cell=cell)
                stats.cells += 1
                try:
                    self.run_cell(rec)
                except NotebookError as exc:
                    stats.failures.append(str(exc))
                    stopped = True
                    continue
                if rec.error is not None:
                    stats.failures.append(f"{self.path}: cell {index} raised {rec.error}")
                    stopped = True
            if not stopped:
                # A last look for stragglers; an error that shows up this late still fails.
                self.drain(self.grace)
                for rec in self.owners.values():
                    if rec.error is not None:
                        stats.failures.append(f"{self.path}: cell {rec.index} raised {rec.error}")
        finally:
            self.stop()
        stats.late_outputs = sum(r.late_outputs for r in self.owners.values())
        for rec in self.owners.values():
            if rec.late_outputs:
                stats.failures.append(
                    f"{self.path}: cell {rec.index}: {rec.late_outputs} output(s) arrived after "
                    "the cell's idle status (JupyterLab shows them under another cell or drops "
                    "them; see lib/notebook/kernel_output.ts)"
                )
        stats.seconds = time.monotonic() - t0
        return stats


CHECK_LINE = re.compile(r"^([✓✗]) (\d\d-[a-z0-9-]+)", re.MULTILINE)


def exercise_verdicts(nb: nbformat.NotebookNode) -> list[tuple[int, str, bool, str]]:
    """(cell index, exercise id, passed, text) of every exercise check shown in the notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            for m in CHECK_LINE.finditer(text):
                found.append((index, m.group(2), m.group(1) == "✓", text))
    return found


def check_exercises(nb: nbformat.NotebookNode, path: Path, expect: str) -> list[str]:
    """With solutions every check must pass; with skeletons every check must fail with a hint."""
    problems = []
    for index, exercise, passed, text in exercise_verdicts(nb):
        if expect == "pass" and not passed:
            problems.append(f"{path}: cell {index}: exercise {exercise} failed with its solution")
        if expect == "fail" and (passed or "hint:" not in text):
            problems.append(
                f"{path}: cell {index}: exercise {exercise} skeleton "
                + ("passed" if passed else "failed without a hint")
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Execute notebooks with the Deno kernel; outputs published after idle fail."
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out-dir", type=Path, required=True,
                        help="where executed copies are written (same file names)")
    parser.add_argument("--html-dir", type=Path,
                        help="also write an HTML report per notebook here (SVG kept inline)")
    parser.add_argument("--report-script", type=Path, action="append", default=[],
                        help="a browser build inlined into each HTML report, in page order "
                        "(vega, vega-lite, vega-embed: the charts render from their specs); "
                        "without any the reports show the static SVGs")
    parser.add_argument("--kernel", default="deno", help="kernelspec name (default: deno)")
    parser.add_argument("--grace", type=float, default=float(os.environ.get("KD_NB_GRACE", 1.5)),
                        help="seconds of iopub silence awaited after a cell's idle (default 1.5)")
    parser.add_argument("--max-grace", type=float, default=15.0,
                        help="cap on the post-idle wait of one cell (default 15 s)")
    parser.add_argument("--cell-timeout", type=float,
                        default=float(os.environ.get("KD_NB_CELL_TIMEOUT", 1800)),
                        help="seconds one cell may run (default 1800)")
    parser.add_argument("--startup-timeout", type=float, default=120.0)
    parser.add_argument("--fail-fast", action="store_true",
                        help="stop at the first failing notebook")
    parser.add_argument("--expect-checks", choices=["pass", "fail"],
                        help="exercise checks must all pass (solutions) or all fail with a hint "
                        "(skeletons)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every output that arrived after its cell's idle status")
    args = parser.parse_args(argv)

    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.html_dir:
        args.html_dir.mkdir(parents=True, exist_ok=True)
        try:
            report_scripts = load_scripts(args.report_script)
        except FileNotFoundError as exc:
            parser.error(str(exc))

    failures: list[str] = []
    total = time.monotonic()
    for nb_path in args.notebooks:
        runner = DenoNotebookRunner(
            nb_path, args.kernel, args.grace, args.max_grace, args.cell_timeout,
            args.startup_timeout, args.verbose,
        )
        try:
            stats = runner.run()
        except NotebookError as exc:
            stats = RunStats(failures=[str(exc)])
        if args.expect_checks and not stats.failures:
            stats.failures.extend(check_exercises(runner.nb, nb_path, args.expect_checks))
        out_path = args.out_dir / nb_path.name
        # Written even on failure: the partial outputs show what went wrong.
        nbformat.write(runner.nb, str(out_path))
        status = "FAILED" if stats.failures else "ok"
        print(
            f"{nb_path}: {status} in {stats.seconds:.1f} s ({stats.cells} cells, "
            f"{stats.late_outputs} late output(s)) -> {out_path}",
            flush=True,
        )
        if args.html_dir:
            html_path = args.html_dir / (nb_path.stem + ".html")
            write_html(runner.nb, nb_path.stem, html_path, report_scripts, source=out_path)
            print(f"  html: {html_path}", flush=True)
        failures.extend(stats.failures)
        if stats.failures and args.fail_fast:
            break

    print(f"total: {time.monotonic() - total:.1f} s", flush=True)
    if failures:
        for f in failures:
            print(f"ERROR {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
