"""Turns a run's records into numbers: per-adapter summaries and paired comparisons."""

from __future__ import annotations

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
