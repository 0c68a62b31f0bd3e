"""``summary.json``: the run's summary table as a versioned JSON document, beside report.html.

The document is built in the analysis layer (``summary_document``); this writes it through
:func:`write_text`, which scrubs the secrets of a run in effect in this process.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.analysis.summarize import RunSummary
from harness.analysis.summary_document import build_summary_document, describe
from harness.analysis.summary_extras import extras_of
from harness.report.files import write_text

__all__ = ["SUMMARY_FILE", "write_summary_json"]

SUMMARY_FILE = "summary.json"


def _harness_version() -> str:
    """This harness's version. The package is loaded already (it is this module's parent);
    naming it through ``sys.modules`` keeps its type-checking imports (the runner) out of the
    report layer's import graph."""
    return str(sys.modules["harness"].__version__)


def write_summary_json(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``summary.json`` for ``summary``, whose records are in ``out_dir`` (not read
    again when the summary holds them)."""
    extras = extras_of(summary.records(out_dir), summary.frames(out_dir))
    document = build_summary_document(summary, extras, _harness_version())
    return [write_text(out_dir / SUMMARY_FILE, describe(document))]
