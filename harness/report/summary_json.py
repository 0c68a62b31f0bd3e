"""``summary.json``: the run's summary table as a versioned JSON document, beside report.html.

The document is built in the analysis layer (``summary_document``); this writes it through
:func:`write_text`, which scrubs the secrets of a run in effect in this process.
"""

from __future__ import annotations

from pathlib import Path

from harness import __version__
from harness.analysis.summarize import RunSummary
from harness.analysis.summary_document import build_summary_document, describe
from harness.analysis.summary_extras import read_extras
from harness.report.base import write_text

__all__ = ["SUMMARY_FILE", "write_summary_json"]

SUMMARY_FILE = "summary.json"


def write_summary_json(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``summary.json`` for ``summary``, whose records are in ``out_dir``."""
    document = build_summary_document(summary, read_extras(out_dir), __version__)
    return [write_text(out_dir / SUMMARY_FILE, describe(document))]
