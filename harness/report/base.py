"""The reporter registry and ``write_reports``: summarise a saved run once, write each report.

A reporter is a function ``(summary, out_dir) -> written paths``. Built-ins register as lazy
``"module:attr"`` strings so matplotlib and Jinja2 load only when their report is written;
third-party reporters use the ``harness.reporters`` entry-point group.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from harness.registry import Registry
from harness.report.files import write_file, write_text

if TYPE_CHECKING:
    from harness.analysis.summarize import RunSummary
    from harness.records import RunManifest
    from harness.records.columns import RecordColumns

__all__ = ["Reporter", "reporters", "write_file", "write_reports", "write_text"]


class Reporter(Protocol):
    """Writes one kind of report for ``summary`` into ``out_dir``; returns the files written."""

    def __call__(self, summary: RunSummary, out_dir: Path) -> list[Path]: ...


reporters: Registry[Reporter] = Registry("reporter", entry_point_group="harness.reporters")

# ``order``: lower runs first. Charts come before HTML, which embeds the PNGs it finds.
reporters.add(
    "charts",
    "harness.report.charts:write_charts",
    order=0,
    files=("pass_rate.png", "latency.png", "ttft.png"),
    description="PNG charts: pass rate with 95% CI, latency and TTFT distributions",
)
reporters.add(
    "summary",
    "harness.report.summary_json:write_summary_json",
    order=5,
    files=("summary.json",),
    description="summary.json: every figure of the summary table, versioned (docs/summary.md)",
)
reporters.add(
    "markdown",
    "harness.report.markdown:write_markdown",
    order=10,
    files=("report.md",),
    description="Markdown report: summary, comparisons, failing cases, per-case table",
)
reporters.add(
    "html",
    "harness.report.html:write_html",
    order=20,
    files=("report.html",),
    description="One self-contained HTML file with the same content and embedded charts",
)


def write_reports(
    run_dir: Path,
    names: Sequence[str] | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the named reports (default: every registered one) into ``run_dir``.

    The run is summarised once from the files on disk, so this works on any saved run; its
    records are read once, and every report uses that read. Every name is checked before
    anything is written; an unknown one raises ``UnknownNameError`` with a did-you-mean
    suggestion. ``warn`` receives a sentence when a (case_id, adapter, repeat) occurs more
    than once in ``results.jsonl`` (the latest record counts), before any report is written.
    """
    with _gc_paused():  # imports included: theirs are the first passes
        return _write_reports(run_dir, names, warn)


def _write_reports(
    run_dir: Path, names: Sequence[str] | None, warn: Callable[[str], None] | None
) -> list[Path]:
    from harness.analysis.summarize import summarize_run  # pandas: load on use, not on import
    from harness.records.store import RESULTS_FILE

    wanted = list(dict.fromkeys(names)) if names is not None else reporters.names()
    entries = [reporters.entry(name) for name in wanted]
    entries.sort(key=lambda e: int(e.metadata.get("order", 100)))
    # report.html's drill-down needs the records only: on a second core it is built while
    # this process computes the statistics (the one report that can start that early)
    on_read = _start_html_drilldown if "html" in wanted else None
    try:
        summary = summarize_run(run_dir, on_read=on_read)
        duplicates = summary.records(run_dir).duplicates
        if duplicates and warn is not None:
            warn(f"{run_dir / RESULTS_FILE}: {duplicates.describe()}")
        written: list[Path] = []
        for entry in entries:
            written += entry.load()(summary, run_dir)
        return written
    finally:
        if on_read is not None:
            from harness.report.html import discard_drilldowns

            discard_drilldowns()


def _start_html_drilldown(manifest: RunManifest, records: RecordColumns) -> None:
    from harness.analysis.summarize import adapter_order
    from harness.report.html import start_drilldown

    start_drilldown(records, adapter_order(manifest, records))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cycle collector off while a build runs: the build makes millions of objects that
    live until it ends (the records' columns, the summary), so the collector's passes found
    nothing and cost 2 s of a 100,000 x 4 build, re-walking them. Reference counting still
    frees everything else; the collector is back on (if it was) once the build's objects are
    freed (so its first pass does not walk them)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
