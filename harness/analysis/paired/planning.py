"""``harness plan``: how many cases (and repeats) a suite needs to see a change, from a pilot.

Turns a pilot's :class:`~harness.analysis.paired.pilot.Spread` into the document the command
prints and ``--json`` writes: per figure the cases needed for the change asked for, the
smallest change the pilot's own size can detect, and how repeats trade against cases. The
numbers use the tests ``harness compare`` runs (exact McNemar for pass/fail without repeats,
a paired t-test on per-case pass shares or latency log-ratios otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.paired.pilot import (
    Spread,
    latency_spread_one,
    latency_spread_paired,
    pass_spread_one,
    pass_spread_paired,
)
from harness.analysis.paired.power import (
    exact_discordant_floor,
    mde_mean_paired,
    mde_proportion_paired,
    n_for_mean_paired,
    n_for_proportion_paired,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    _CasesFor = Callable[[float, int], int | None]
    """Cases needed, given the variance of per-case differences and the repeats per case."""

__all__ = [
    "PLAN_KIND",
    "PLAN_SCHEMA_VERSION",
    "FigurePlan",
    "PairPlan",
    "PlanDocument",
    "PlanSettings",
    "RepeatsOption",
    "plan_adapters",
]

PLAN_SCHEMA_VERSION: Literal[1] = 1
PLAN_KIND: Literal["harness.plan"] = "harness.plan"
REPEAT_CHOICES = (1, 2, 3, 5, 10)
"""Repeat counts the repeats table shows (plus the pilot's own)."""


@dataclass(frozen=True)
class PlanSettings:
    """What the plan is for: the changes to detect and the test's error rates."""

    detect_points: float = 5.0
    detect_latency_percent: float | None = None
    alpha: float = 0.05
    power: float = 0.8
    correlation: float = 0.5
    latency_log_sd: float = 0.3


class RepeatsOption(BaseModel):
    """With this many repeats per case, this many cases are needed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repeats: int
    cases_needed: int | None = Field(description="None: no number of cases is enough")
    requests_per_adapter: int | None = Field(description="cases_needed x repeats")


class FigurePlan(BaseModel):
    """One figure's plan: cases needed, smallest detectable change, the noise behind both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    figure: Literal["pass_rate", "latency"]
    unit: Literal["points", "percent"] = Field(
        description="points of pass rate (5 = 5 points), or percent of latency (10 = 10% slower)"
    )
    detect: float | None = Field(description="The change asked for (--detect, --detect-latency)")
    cases: int = Field(description="Cases of the pilot with data for this figure")
    repeats: int = Field(description="Repeats per case in the pilot (the median)")
    cases_needed: int | None = Field(
        description="Cases needed to detect `detect` with the pilot's repeats; None: none enough"
    )
    mde: float | None = Field(
        description="Smallest change (in `unit`) the pilot's cases and repeats detect; "
        "None: no change can be detected"
    )
    sd_diff: float | None = Field(
        description="Standard deviation of per-case differences at the pilot's repeats "
        "(pass share, or latency log-ratio)"
    )
    discordance: float | None = Field(
        description="Pass rate: share of cases whose pass/fail differs between the versions "
        "with one answer each (observed, or from the assumed correlation)"
    )
    between_variance: float | None = Field(description="Part of the variance repeats keep")
    within_variance: float | None = Field(description="Part divided by the number of repeats")
    by_repeats: list[RepeatsOption] = Field(
        description="Cases needed for other repeat counts (empty without repeats in the pilot)"
    )
    estimated_from: str
    sentence: str
    notes: list[str]


class PairPlan(BaseModel):
    """The plan for one comparison: two adapters of the pilot, or one and its next version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: str
    candidate: str | None = Field(description="None: a future version of `base` is imagined")
    correlation: float | None = Field(
        description="The assumed correlation between versions (None: observed pairs)"
    )
    figures: list[FigurePlan]


class PlanDocument(BaseModel):
    """What ``harness plan --json`` prints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = PLAN_SCHEMA_VERSION
    kind: Literal["harness.plan"] = PLAN_KIND
    run_id: str
    alpha: float
    power: float
    plans: list[PairPlan]
    notes: list[str]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _pass_cases(share: float, variance: float, repeats: int, s: PlanSettings) -> int | None:
    """Cases for a pass-rate change of ``share`` when per-case differences vary by ``variance``.

    One answer per case: exact McNemar, whose discordance under the change is the pilot's
    variance plus the change squared (at least the change itself). More: a paired t-test, and
    at least enough cases that the change moves the exact floor's worth of them (a pilot with
    no noise would otherwise plan 2 cases).
    """
    if not math.isfinite(variance):
        return None
    if repeats == 1:
        discordance = min(1.0, max(abs(share), variance + share * share))
        return n_for_proportion_paired(share, discordance, alpha=s.alpha, power=s.power)
    n = n_for_mean_paired(share, math.sqrt(variance), alpha=s.alpha, power=s.power)
    floor = math.ceil(exact_discordant_floor(s.alpha) / abs(share) - 1e-9)
    return None if n is None else max(n, floor)


def _pass_mde(n: int, variance: float, repeats: int, s: PlanSettings) -> float:
    """Smallest pass-rate change (share) ``n`` cases detect; the inverse of :func:`_pass_cases`.

    With one answer the discordance depends on the change itself: a fixed point, reached from
    below in a few steps (each step moves it by less than the last).
    """
    if not math.isfinite(variance):
        return math.inf
    if repeats > 1:
        mde = mde_mean_paired(n, math.sqrt(variance), alpha=s.alpha, power=s.power)
        return max(mde, exact_discordant_floor(s.alpha) / n)
    delta = 0.0
    for _ in range(100):
        discordance = min(1.0, max(delta, variance + delta * delta))
        step = mde_proportion_paired(n, discordance, alpha=s.alpha, power=s.power)
        if not math.isfinite(step) or abs(step - delta) < 1e-10:
            return step
        delta = step
    return delta


def _latency_cases(log_change: float, variance: float, s: PlanSettings) -> int | None:
    sd = math.sqrt(variance) if math.isfinite(variance) else math.nan
    return n_for_mean_paired(log_change, sd, alpha=s.alpha, power=s.power)


def _by_repeats(spread: Spread, cases_for: _CasesFor) -> list[RepeatsOption]:
    if not spread.by_repeats_known:
        return []
    options = []
    for repeats in sorted({*REPEAT_CHOICES, spread.pilot_repeats}):
        variance = spread.at(repeats)
        n = None if variance is None else cases_for(variance, repeats)
        options.append(
            RepeatsOption(
                repeats=repeats,
                cases_needed=n,
                requests_per_adapter=None if n is None else n * repeats,
            )
        )
    return options


_NO_SPREAD = (
    "the pilot's per-case differences have no spread (every case changed alike, or none did): "
    "there is no noise to measure, so this plan is a lower bound; a larger pilot gives a real one"
)


def _with_repeats(repeats: int) -> str:
    return f", with {repeats} repeats each" if repeats > 1 else ""


def _cases(n: int) -> str:
    return f"{n:,} case" if n == 1 else f"{n:,} cases"


def _sentence(
    what: str,
    detect: str | None,
    needed: int | None,
    spread: Spread,
    mde: str | None,
    s: PlanSettings,
) -> str:
    have, repeats = spread.cases, _with_repeats(spread.pilot_repeats)
    parts = []
    if detect is not None:
        head = f"To detect {detect} with {s.power:.0%} power at alpha {s.alpha:g}"
        if needed is None:
            parts.append(
                f"{head}: the pilot cannot say how many cases (too few cases to measure the noise)."
            )
        else:
            parts.append(f"{head} you need about {_cases(needed)}{repeats} (you have {have:,}).")
    if mde is None:
        parts.append(f"With {_cases(have)} no change in {what} can be detected.")
    else:
        parts.append(f"With {_cases(have)} the smallest detectable change is {mde}.")
    return " ".join(parts)


def _figure(
    figure: Literal["pass_rate", "latency"],
    spread: Spread,
    detect: float | None,
    cases_for: _CasesFor,
    mde: float,
    sentence: str,
    estimated_from: str,
    discordance: float | None = None,
) -> FigurePlan:
    variance = spread.at_pilot
    return FigurePlan(
        figure=figure,
        unit="points" if figure == "pass_rate" else "percent",
        detect=detect,
        cases=spread.cases,
        repeats=spread.pilot_repeats,
        cases_needed=None if detect is None else cases_for(variance, spread.pilot_repeats),
        mde=_finite(mde),
        sd_diff=_finite(math.sqrt(variance)) if math.isfinite(variance) else None,
        discordance=_finite(discordance),
        between_variance=spread.between,
        within_variance=spread.within,
        by_repeats=_by_repeats(spread, cases_for) if detect is not None else [],
        estimated_from=estimated_from,
        sentence=sentence,
        notes=[*spread.notes, *([_NO_SPREAD] if variance == 0 else [])],
    )


def _pass_plan(spread: Spread, s: PlanSettings, estimated_from: str) -> FigurePlan:
    share = s.detect_points / 100

    def cases_for(variance: float, repeats: int) -> int | None:
        return _pass_cases(share, variance, repeats, s)

    n, variance = spread.cases, spread.at_pilot
    mde = _pass_mde(n, variance, spread.pilot_repeats, s) if n >= 2 else math.inf
    needed = cases_for(variance, spread.pilot_repeats)
    one_answer = spread.at(1)
    discordance = None if one_answer is None else one_answer + spread.mean_diff**2
    sentence = _sentence(
        "pass rate",
        f"a {s.detect_points:g}-point change in pass rate",
        needed,
        spread,
        None if not math.isfinite(mde) else f"{100 * mde:.1f} points",
        s,
    )
    return _figure(
        "pass_rate",
        spread,
        s.detect_points,
        cases_for,
        100 * mde,
        sentence,
        estimated_from,
        discordance,
    )


def _latency_plan(spread: Spread, s: PlanSettings, estimated_from: str) -> FigurePlan:
    percent = s.detect_latency_percent
    log_change = math.log1p(percent / 100) if percent is not None else math.nan

    def cases_for(variance: float, repeats: int) -> int | None:
        return _latency_cases(log_change, variance, s)

    variance = spread.at_pilot
    sd = math.sqrt(variance) if math.isfinite(variance) else math.nan
    log_mde = (
        mde_mean_paired(spread.cases, sd, alpha=s.alpha, power=s.power)
        if not math.isnan(sd)
        else math.inf
    )
    mde = 100 * math.expm1(log_mde) if log_mde < 700 else math.inf
    needed = cases_for(variance, spread.pilot_repeats) if percent is not None else None
    sentence = _sentence(
        "latency",
        None if percent is None else f"a {percent:g}% change in latency",
        needed,
        spread,
        None if not math.isfinite(mde) else f"{mde:.1f}% in latency",
        s,
    )
    return _figure("latency", spread, percent, cases_for, mde, sentence, estimated_from)


def plan_adapters(
    base_name: str,
    base: pd.DataFrame,
    candidate_name: str | None,
    candidate: pd.DataFrame | None,
    settings: PlanSettings,
) -> PairPlan:
    """The plan for one pair of a pilot's adapters, or for one adapter and its next version."""
    if candidate is None:
        rho = settings.correlation
        pass_spread = pass_spread_one(base, rho)
        latency_spread = latency_spread_one(base, settings.latency_log_sd)
        pass_from = f"one adapter; an assumed correlation of {rho:g} between versions"
        latency_from = "one adapter; per-answer latency variation across repeats"
        if not latency_spread.by_repeats_known:
            latency_from = "one adapter; an assumed latency log-ratio sd"
    else:
        pass_spread = pass_spread_paired(base, candidate)
        latency_spread = latency_spread_paired(base, candidate)
        pass_from = latency_from = "observed per-case differences of the pair"
        rho = None
    figures = [_pass_plan(pass_spread, settings, pass_from)]
    if latency_spread.cases >= 2 or settings.detect_latency_percent is not None:
        figures.append(_latency_plan(latency_spread, settings, latency_from))
    return PairPlan(base=base_name, candidate=candidate_name, correlation=rho, figures=figures)
