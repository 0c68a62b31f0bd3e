"""What a paired comparison returns: one result per figure, the comparison, non-inferiority.

These models are the public compare.json contract of issue 11 (``pair``, ``figure``,
``higher_is_better``, ``n``, ``base``, ``candidate``, ``delta``, ``ci``, ``p_value``,
``p_adjusted``, ``verdict``, ``mde`` at least); they import nothing heavy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.gatespec import BASELINE_FIGURES

__all__ = [
    "FIXED_FIGURES",
    "FigureResult",
    "NonInferiority",
    "PairComparisonResult",
    "PairNames",
    "Verdict",
]

Verdict = Literal["better", "worse", "no_difference"]

FIXED_FIGURES = BASELINE_FIGURES
"""Every figure name a comparison can have besides ``score:<metric>`` (listed after
error_rate); a figure without paired data is omitted with a note. The list lives with the gate
grammar, in the low layer, so a suite's gates naming a figure are checked at load."""


class PairNames(BaseModel):
    """The two sides of a comparison, by adapter name."""

    model_config = ConfigDict(frozen=True)

    base: str
    candidate: str


class FigureResult(BaseModel):
    """One figure (pass rate, a score, a latency percentile...) of base against candidate."""

    model_config = ConfigDict(frozen=True)

    pair: PairNames
    figure: str = Field(description="pass_rate, error_rate, score:<metric>, latency_p50_ms, ...")
    higher_is_better: bool
    n: int = Field(description="Paired cases used (repeats averaged per case first).")
    base: float | None = Field(description="The base side's value of the figure.")
    candidate: float | None = Field(description="The candidate side's value of the figure.")
    delta: float | None = Field(description="candidate - base, in the figure's unit.")
    ci: list[float] | None = Field(
        description="Two-sided interval [low, high] for delta at level ci_level."
    )
    p_value: float | None = Field(description="Raw two-sided p-value of the named test.")
    p_adjusted: float | None = Field(
        description="Holm-adjusted p-value across the figures of this comparison; None when "
        "the figure takes no part in the decision (no test possible, or not comparable)."
    )
    verdict: Verdict = Field(
        description="better / worse when p_adjusted < alpha, from the sign of delta and "
        "higher_is_better; otherwise no_difference."
    )
    mde: float | None = Field(
        description="Smallest |delta| detectable at 80% power with these cases, in delta's "
        "unit, at the two-sided level alpha / (figures Holm adjusts together): a change this "
        "large is called whatever the other figures show. None with fewer than two cases, or "
        "when the figure's test cannot reach that level with so few cases (a signed-rank test "
        "of n cases never goes below p = 2 / 2**n).",
    )
    method: str = Field(description="The named test and interval.")
    unit: str = Field(description="share, ms, tokens/s or score.")
    ratio: float | None = Field(
        default=None,
        description="Timing figures: geometric mean of the per-case candidate/base ratios.",
    )
    ratio_ci: list[float] | None = Field(
        default=None, description="Timing figures: paired bootstrap interval of ratio."
    )
    ci_level: float = Field(default=0.95, description="Confidence level of ci and ratio_ci.")
    ci_one_sided: list[float] | None = Field(
        default=None,
        description="[low, high]: each end alone is a one-sided ci_level bound for delta "
        "(together the two-sided 2*ci_level-1 interval); non-inferiority uses them.",
    )
    ratio_ci_one_sided: list[float] | None = Field(
        default=None, description="As ci_one_sided, for ratio."
    )
    comparable: bool = Field(
        default=True,
        description="False when the two sides did not measure the same thing (emulated "
        "streaming TTFT): the figure is shown but never called better or worse.",
    )
    notes: list[str] = Field(default_factory=list)


class PairComparisonResult(BaseModel):
    """Every figure of one base/candidate pair, with the cases that could not be paired."""

    model_config = ConfigDict(frozen=True)

    pair: PairNames
    shared_cases: int
    base_only: list[str] = Field(description="Case ids found on the base side only, sorted.")
    candidate_only: list[str] = Field(
        description="Case ids found on the candidate side only, sorted."
    )
    figures: list[FigureResult]
    notes: list[str] = Field(default_factory=list)

    def figure(self, name: str) -> FigureResult | None:
        """The figure called ``name``, or None when it was omitted."""
        return next((f for f in self.figures if f.figure == name), None)


class NonInferiority(BaseModel):
    """Whether the candidate is shown not worse than the base by more than a margin."""

    model_config = ConfigDict(frozen=True)

    figure: str
    margin: float = Field(
        description="The tolerated worsening: in the figure's unit, or a fraction of the "
        "base value (a ratio for timing figures) when relative."
    )
    relative: bool = False
    bound: float | None = Field(
        description="One-sided confidence bound in the worse direction (of delta, or of the "
        "ratio for relative timing margins); None without an interval."
    )
    shown_not_worse: bool
    message: str
