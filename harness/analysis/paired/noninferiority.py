"""Non-inferiority: is the candidate shown not worse than the base by more than a margin?

A gate wants "not worse by more than 2 points", not "not significantly different" (a small
suite is never significantly different). The answer reads the one-sided confidence bound of
the figure's interval in the worse direction: the candidate is shown not worse when that
bound stays on the good side of the margin.
"""

from __future__ import annotations

import math

from harness.analysis.paired.results import FigureResult, NonInferiority

__all__ = ["non_inferior"]


def _bounds(figure: FigureResult, confidence: float, *, ratio: bool) -> list[float] | None:
    """The interval whose each end is a one-sided bound at ``confidence``.

    A figure carries its two-sided interval at ``ci_level`` (each end a one-sided
    (1 + ci_level) / 2 bound) and ``ci_one_sided`` (each end a one-sided ci_level bound).
    """
    two_sided = figure.ratio_ci if ratio else figure.ci
    one_sided = figure.ratio_ci_one_sided if ratio else figure.ci_one_sided
    if math.isclose(confidence, figure.ci_level):
        return one_sided
    if math.isclose(confidence, (1.0 + figure.ci_level) / 2.0):
        return two_sided
    raise ValueError(
        f"confidence {confidence} is not available for {figure.figure}: the comparison "
        f"computed one-sided bounds at {figure.ci_level} and {(1.0 + figure.ci_level) / 2.0}"
    )


def non_inferior(
    figure: FigureResult, margin: float, *, relative: bool = False, confidence: float = 0.95
) -> NonInferiority:
    """Whether ``figure`` shows the candidate not worse than the base by more than ``margin``.

    ``margin`` is the tolerated worsening, >= 0: in the figure's unit (0.02 = 2 points of
    pass rate), or with ``relative`` a fraction of the base value (0.10 = 10%); for timing
    figures a relative margin is judged on the geometric-mean ratio's interval.
    """
    if not margin >= 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    on_ratio = relative and figure.ratio is not None
    limit, scale = margin, 1.0
    if relative and not on_ratio:
        scale = abs(figure.base) if figure.base is not None else math.nan
        limit = margin * scale
    worse_up = not figure.higher_is_better
    bounds = _bounds(figure, confidence, ratio=on_ratio)
    quantity = "the ratio candidate/base" if on_ratio else "delta"
    side = "upper" if worse_up else "lower"
    margin_text = f"{margin:.0%} of the base" if relative else f"{margin:g} {figure.unit}"
    p_text = "none" if figure.p_value is None else f"{figure.p_value:.3g}"
    bound: float | None = None
    shown = False
    if bounds is None or not math.isfinite(limit) or not figure.comparable:
        why = "the two sides are not comparable" if not figure.comparable else "no interval"
        message = f"not shown within a margin of {margin_text} ({why}; p={p_text})"
    else:
        bound = bounds[1] if worse_up else bounds[0]
        if on_ratio:
            threshold = 1.0 + margin if worse_up else 1.0 - margin
        else:
            threshold = limit if worse_up else -limit
        shown = bound < threshold if worse_up else bound > threshold
        verb = "is shown to be no worse" if shown else "is not shown to be no worse"
        relation = ("<" if shown else ">=") if worse_up else (">" if shown else "<=")
        message = (
            f"the candidate {verb} than the base by more than {margin_text}: one-sided "
            f"{confidence:.1%} {side} bound of {quantity} {bound:.4g} {relation} "
            f"{threshold:.4g} (difference test p={p_text})"
        )
    return NonInferiority(
        figure=figure.figure,
        margin=margin,
        relative=relative,
        bound=bound,
        shown_not_worse=shown,
        message=f"{figure.figure}: {message}",
    )
