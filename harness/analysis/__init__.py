"""Turns a run's records into numbers: per-adapter summaries and paired comparisons.

Names load on first use: ``harness.analysis.totals`` (the console summary after a run) must
not pay for pandas, which only ``summarize`` needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.analysis.compare import SIGNIFICANCE_LEVEL, PairComparison, compare_pair
    from harness.analysis.stats import format_p_value, mcnemar_exact_p, wilson_interval
    from harness.analysis.summarize import (
        AdapterSummary,
        CaseRow,
        Distribution,
        ExpectationSummary,
        FailedCase,
        Outcome,
        RunSummary,
        summarize_records,
        summarize_run,
    )

__all__ = [
    "SIGNIFICANCE_LEVEL",
    "AdapterSummary",
    "CaseRow",
    "Distribution",
    "ExpectationSummary",
    "FailedCase",
    "Outcome",
    "PairComparison",
    "RunSummary",
    "compare_pair",
    "format_p_value",
    "mcnemar_exact_p",
    "summarize_records",
    "summarize_run",
    "wilson_interval",
]

_HOMES = {
    "SIGNIFICANCE_LEVEL": "compare",
    "PairComparison": "compare",
    "compare_pair": "compare",
    "format_p_value": "stats",
    "mcnemar_exact_p": "stats",
    "wilson_interval": "stats",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'harness.analysis' has no attribute {name!r}")
    module = importlib.import_module(f"harness.analysis.{_HOMES.get(name, 'summarize')}")
    return getattr(module, name)
