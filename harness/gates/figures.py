"""Absolute figures of one adapter's records: the values threshold gates and baselines read.

One definition of each figure, shared by threshold gates and a baseline's summary: repeats
are aggregated per case first, as the paired engine does (mean pass and error share, median
timings, mean scores; records a judge could not grade left out), then the figure is taken
over cases: the pass rate is the mean of the cases' pass shares, a latency percentile is the
percentile over cases of each case's median latency.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.analysis.paired.frame import SCORE_PREFIX
from harness.gatespec import BASELINE_FIGURES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FigureValue", "case_table", "figure_value", "summary_figures"]

_TIMING = re.compile(r"^(latency|ttft)_p(\d{1,2})_ms$")
_MEDIANS = {"latency": "latency_ms", "ttft": "ttft_ms"}
_MEANS = {"itl_mean_ms": "itl_ms", "tokens_per_s": "tokens_per_s"}


@dataclass(frozen=True)
class FigureValue:
    """A figure's value over ``n`` cases, or None with ``why`` when no case has it."""

    value: float | None
    n: int
    why: str = ""


def case_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per case (index: case_id, sorted): repeats, passes, errors, pass and error
    shares, median timings, any emulated TTFT, first cluster, mean scores."""
    import pandas as pd

    graded = frame.loc[~frame["missing"].to_numpy(dtype=bool)]
    groups = graded.groupby("case_id", sort=True)
    table = pd.DataFrame(
        {
            "repeats": groups.size(),
            "passes": groups["passed"].sum().astype("int64"),
            "errors": groups["errored"].sum().astype("int64"),
            "ttft_emulated": groups["ttft_emulated"].any(),
            "cluster": groups["cluster"].first(),
        }
    )
    table["pass_share"] = table["passes"] / table["repeats"]
    table["error_share"] = table["errors"] / table["repeats"]
    for column in ("latency_ms", "ttft_ms", "itl_ms", "tokens_per_s"):
        table[column] = groups[column].median()
    for column in [str(c) for c in frame.columns if str(c).startswith(SCORE_PREFIX)]:
        table[column] = groups[column].mean()
    out: pd.DataFrame = table
    return out


def figure_value(
    cases: pd.DataFrame,
    figure: str,
    *,
    only: Collection[str] | None = None,
    min_pass_share: float | None = None,
) -> FigureValue:
    """``figure`` over the cases of a :func:`case_table` (``only``: these case ids).

    ``min_pass_share``: a case counts as passed only when it passed at least that share of
    its repeats (the pass rate is then the share of such cases).
    """
    import numpy as np

    if only is not None:
        cases = cases.loc[cases.index.isin(list(only))]
    if cases.empty:
        return FigureValue(None, 0, "no case")
    if figure == "pass_rate":
        shares = cases["pass_share"].to_numpy(dtype=float)
        if min_pass_share is not None:
            shares = (shares >= min_pass_share - 1e-12).astype(float)
        return FigureValue(float(shares.mean()), len(shares))
    if figure == "error_rate":
        return FigureValue(float(cases["error_share"].mean()), len(cases))
    column, percentile = _column(figure)
    if column is None:
        return FigureValue(None, 0, f"{figure} is not a figure harness computes")
    if column not in cases.columns:
        return FigureValue(None, 0, f"no case has {figure}")
    values = cases[column].to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return FigureValue(None, 0, f"no case has {figure} (no measured value)")
    if percentile is None:
        return FigureValue(float(values.mean()), int(values.size))
    return FigureValue(float(np.percentile(values, percentile)), int(values.size))


def _column(figure: str) -> tuple[str | None, float | None]:
    """The case-table column a figure reads, and the percentile over cases (None: the mean)."""
    if figure.startswith(SCORE_PREFIX):
        return figure, None
    if figure in _MEANS:
        return _MEANS[figure], None
    match = _TIMING.match(figure)
    if match is None:
        return None, None
    return _MEDIANS[match.group(1)], float(match.group(2))


def summary_figures(cases: pd.DataFrame) -> dict[str, float | None]:
    """The headline figures of one adapter (a baseline's ``summary``), every score included."""
    names = list(BASELINE_FIGURES) + sorted(
        c for c in cases.columns if str(c).startswith(SCORE_PREFIX)
    )
    return {name: figure_value(cases, name).value for name in names}
