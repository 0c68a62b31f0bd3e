"""Turns a run's records into numbers: per-adapter summaries and paired comparisons.

Names load on first use: ``harness.analysis.totals`` (the console summary after a run) must
not pay for pandas, which only ``summarize`` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.lazy import lazy_exports

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
    name: "harness.analysis.compare"
    for name in ("SIGNIFICANCE_LEVEL", "PairComparison", "compare_pair")
} | {
    name: "harness.analysis.stats"
    for name in ("format_p_value", "mcnemar_exact_p", "wilson_interval")
}
__getattr__ = lazy_exports(
    __name__, {name: _HOMES.get(name, "harness.analysis.summarize") for name in __all__}
)
