"""What a pilot run says about noise: the spread of per-case differences, split by repeats.

A plan needs the variance of the per-case difference (candidate - base, repeats averaged per
case first, as ``harness compare`` does). With ``r`` repeats it is ``between + within / r``:
``within`` is the variance of one answer around its case's mean (both sides added), which
repeats average away; ``between`` is how much the cases' true differences vary, which they
do not. A pilot with repeats estimates both; without repeats only their sum at one repeat.

Two adapters in the pilot: the differences are observed. One adapter: the second version is
imagined with a stated correlation ``rho`` between the versions' per-case outcomes (Miller,
"Adding Error Bars to Evals", 2024, finds 0.3-0.7 between models), so for pass/fail
``Var(x - y) = 2 v (1 - rho)`` with ``v = p (1 - p)``; for latency the case's own length and
difficulty cancel in the ratio and only the per-answer noise is left (``2 within / r``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CORRELATION",
    "DEFAULT_LATENCY_LOG_SD",
    "Spread",
    "case_stats",
    "latency_spread_one",
    "latency_spread_paired",
    "pass_spread_one",
    "pass_spread_paired",
]

DEFAULT_CORRELATION = 0.5
"""Assumed correlation of two versions' per-case pass/fail (Miller 2024: 0.3-0.7)."""

DEFAULT_LATENCY_LOG_SD = 0.3
"""Assumed sd of per-case latency log-ratios when a one-adapter pilot has no repeats.

0.3 is a ratio spread of about x1.35 per case: one answer of a hosted model varies by
15-25% in log terms, and a ratio of two answers by sqrt(2) times that."""


@dataclass(frozen=True)
class Spread:
    """Variance of the per-case difference with ``r`` repeats: ``between + within / r``.

    ``within`` is None when the pilot had no repeats: then only ``at_pilot`` (the variance
    at the pilot's repeats) is known and other repeat counts cannot be planned.
    """

    at_pilot: float
    pilot_repeats: int
    cases: int
    between: float | None = None
    within: float | None = None
    mean_diff: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def at(self, repeats: int) -> float | None:
        """Variance of a case's difference with ``repeats`` answers per side, if known."""
        if self.within is None or self.between is None:
            return self.at_pilot if repeats == self.pilot_repeats else None
        return self.between + self.within / repeats

    @property
    def by_repeats_known(self) -> bool:
        return self.within is not None


def case_stats(frame: pd.DataFrame, figure: str) -> pd.DataFrame:
    """Per case of one side: ``centre`` (pass share or median log-latency), ``var``, ``count``.

    Judge-missing rows are dropped (they cannot be graded); adapter errors count as failures
    for pass/fail and have no latency. ``var`` is the variance across the case's repeats
    (ddof 1, NaN with one answer).
    """
    import numpy as np

    usable = frame.loc[~frame["missing"].to_numpy(dtype=bool)]
    if figure == "pass_rate":
        values = usable["passed"].astype("float64")
        centre = "mean"
    else:
        latency = usable["latency_ms"].to_numpy(dtype="float64")
        keep = np.isfinite(latency) & (latency > 0)
        usable = usable.loc[keep]
        values = np.log(usable["latency_ms"].astype("float64"))
        centre = "median"
    grouped = values.groupby(usable["case_id"].to_numpy(), sort=True)
    stats: pd.DataFrame = grouped.agg([centre, "var", "count"])
    stats.columns = ["centre", "var", "count"]
    return stats


def _pilot_repeats(counts: pd.Series) -> int:
    return max(1, int(round(float(counts.median())))) if len(counts) else 1


def _components(
    total: float, within_cases: pd.DataFrame, pilot_repeats: int
) -> tuple[float | None, float | None]:
    """(between, within) from the total variance and per-case within variances, if repeated.

    ``within_cases`` has ``within`` (one answer's variance, both sides) and ``share`` (what
    it adds to that case's averaged difference: within / repeats).
    """
    if pilot_repeats < 2 or within_cases.empty:
        return None, None
    within = float(within_cases["within"].mean())
    between = max(0.0, total - float(within_cases["share"].mean()))
    return between, within


def _paired(base: pd.DataFrame, candidate: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    joined = base.add_suffix("_b").join(candidate.add_suffix("_c"), how="inner")
    return joined, _pilot_repeats((joined["count_b"] + joined["count_c"]) / 2)


def _paired_spread(base: pd.DataFrame, candidate: pd.DataFrame) -> Spread:
    joined, repeats = _paired(base, candidate)
    diffs = (joined["centre_c"] - joined["centre_b"]).to_numpy(dtype="float64")
    n = int(diffs.size)
    total = float(diffs.var(ddof=1)) if n >= 2 else math.nan
    repeated = joined.loc[(joined["count_b"] >= 2) & (joined["count_c"] >= 2)]
    within_cases = repeated.assign(
        within=repeated["var_b"] + repeated["var_c"],
        share=repeated["var_b"] / repeated["count_b"] + repeated["var_c"] / repeated["count_c"],
    )
    between, within = _components(total, within_cases, repeats)
    mean_diff = float(diffs.mean()) if n else 0.0
    notes = () if within is not None else (_no_repeats_note(repeats),)
    return Spread(total, repeats, n, between, within, mean_diff, notes)


def pass_spread_paired(base: pd.DataFrame, candidate: pd.DataFrame) -> Spread:
    """Observed spread of per-case pass-share differences between two adapters."""
    return _paired_spread(case_stats(base, "pass_rate"), case_stats(candidate, "pass_rate"))


def latency_spread_paired(base: pd.DataFrame, candidate: pd.DataFrame) -> Spread:
    """Observed spread of per-case latency log-ratios (log of the median over repeats)."""
    return _paired_spread(case_stats(base, "latency"), case_stats(candidate, "latency"))


def _one_side(stats: pd.DataFrame) -> tuple[int, int, pd.DataFrame]:
    repeats = _pilot_repeats(stats["count"])
    repeated = stats.loc[stats["count"] >= 2]
    return len(stats), repeats, repeated


def pass_spread_one(frame: pd.DataFrame, rho: float) -> Spread:
    """Spread of pass-share differences against an imagined second version (correlation rho).

    Per answer the pass/fail variance is ``v = p (1 - p)``; of it, ``b`` lies between cases
    (how hard each case is) and ``w`` within (chance). Two versions whose outcomes correlate
    by ``rho`` differ per case by ``2 v (1 - rho)`` at one repeat: ``2 (b - rho v)`` between
    and ``2 w`` within. ``rho v`` above ``b`` is more correlation than the pilot's case
    difficulties allow; the between part is then zero, and a note says so.
    """
    stats = case_stats(frame, "pass_rate")
    n, repeats, repeated = _one_side(stats)
    share = float(stats["centre"].mean()) if n else 0.0
    v = share * (1 - share)
    at_one = 2 * v * (1 - rho)
    if repeats < 2 or repeated.empty:
        return Spread(at_one, 1, n, notes=(_no_repeats_note(repeats),))
    within = float(repeated["var"].mean())
    case_var = float(stats["centre"].var(ddof=1)) if n >= 2 else 0.0
    between_cases = max(0.0, case_var - float((repeated["var"] / repeated["count"]).mean()))
    notes: tuple[str, ...] = ()
    if rho * v > between_cases:
        notes = (
            f"a correlation of {rho:g} is more than this pilot's case difficulties explain "
            f"(at most {between_cases / v if v else 0:.2f}): the cases' true differences are "
            "taken as zero, only chance varies",
        )
    between = max(0.0, 2 * (between_cases - rho * v))
    return Spread(between + 2 * within / repeats, repeats, n, between, 2 * within, 0.0, notes)


def latency_spread_one(frame: pd.DataFrame, default_log_sd: float) -> Spread:
    """Spread of latency log-ratios against an imagined second version of the same speed.

    A case's length and difficulty cancel in the ratio; what is left is each answer's own
    variation, estimated from the pilot's repeats (``2 within / r``). Without repeats the
    stated default sd is used, and a note says so.
    """
    stats = case_stats(frame, "latency")
    n, repeats, repeated = _one_side(stats)
    if repeats < 2 or repeated.empty:
        note = (
            f"no repeats in the pilot: the latency log-ratio sd is an assumed {default_log_sd:g} "
            "(--assume-latency-sd), not measured"
        )
        return Spread(default_log_sd**2, 1, n, notes=(note,))
    within = 2 * float(repeated["var"].mean())
    note = (
        "latency: a next version is assumed to differ per case only by per-answer noise; one "
        "whose answers change length varies more between cases (a pilot of two versions "
        "measures that)"
    )
    return Spread(within / repeats, repeats, n, 0.0, within, notes=(note,))


def _no_repeats_note(repeats: int) -> str:
    if repeats < 2:
        return (
            "the pilot has no repeats: how repeats would change the cases needed cannot be "
            "estimated (run the pilot with repeats: 3 to see it)"
        )
    return "the pilot's repeats have no variance estimate"
