"""non_inferior: the one-sided bound in the worse direction against the margin."""

from __future__ import annotations

import pytest

from harness.analysis.paired.engine import compare_frames, non_inferior
from harness.analysis.paired.results import FigureResult, PairNames
from tests.analysis.paired_simulation import simulate_pair, table


def _figure(**fields: object) -> FigureResult:
    defaults: dict[str, object] = {
        "pair": PairNames(base="v1", candidate="v2"),
        "figure": "pass_rate",
        "higher_is_better": True,
        "n": 400,
        "base": 0.80,
        "candidate": 0.79,
        "delta": -0.01,
        "ci": [-0.035, 0.015],
        "ci_one_sided": [-0.031, 0.011],
        "p_value": 0.43,
        "p_adjusted": 0.86,
        "verdict": "no_difference",
        "mde": 0.04,
        "method": "exact McNemar test; Newcombe paired score interval",
        "unit": "share",
    }
    return FigureResult.model_validate(defaults | fields)


def test_higher_is_better_reads_the_lower_one_sided_bound() -> None:
    shown = non_inferior(_figure(), 0.04)
    assert (shown.bound, shown.shown_not_worse) == (-0.031, True)
    assert non_inferior(_figure(), 0.03).shown_not_worse is False
    assert non_inferior(_figure(), 0.031).shown_not_worse is False  # the bound must beat it


def test_the_message_names_figure_margin_bound_and_p_value() -> None:
    message = non_inferior(_figure(), 0.02).message
    for part in ("pass_rate", "0.02 share", "-0.031", "p=0.43", "lower bound", "not shown"):
        assert part in message, (part, message)


def test_lower_is_better_reads_the_upper_bound() -> None:
    errors = _figure(figure="error_rate", higher_is_better=False, ci_one_sided=[-0.01, 0.012])
    assert non_inferior(errors, 0.02).bound == 0.012
    assert non_inferior(errors, 0.02).shown_not_worse is True
    assert non_inferior(errors, 0.01).shown_not_worse is False


def test_confidence_chooses_between_the_one_sided_and_two_sided_ends() -> None:
    assert non_inferior(_figure(), 0.04, confidence=0.975).bound == -0.035
    with pytest.raises(ValueError, match="confidence 0.99"):
        non_inferior(_figure(), 0.04, confidence=0.99)
    with pytest.raises(ValueError, match="margin"):
        non_inferior(_figure(), -0.01)


def test_a_relative_margin_is_a_share_of_the_base_value() -> None:
    assert non_inferior(_figure(), 0.05, relative=True).shown_not_worse is True  # 0.04
    assert non_inferior(_figure(), 0.03, relative=True).shown_not_worse is False  # 0.024


def test_relative_timing_margins_use_the_ratio_interval() -> None:
    base, candidate = simulate_pair(1, latency_factor=1.05)
    result = compare_frames(base, candidate, pair=("v1", "v2"), higher_is_better={})
    latency = result.figure("latency_p50_ms")
    assert latency is not None and latency.ratio_ci_one_sided is not None
    ten = non_inferior(latency, 0.20, relative=True)
    assert ten.bound == latency.ratio_ci_one_sided[1]
    assert ten.shown_not_worse is True
    assert "ratio candidate/base" in ten.message
    assert non_inferior(latency, 0.01, relative=True).shown_not_worse is False
    tokens = result.figure("tokens_per_s")
    assert tokens is not None and tokens.ratio_ci_one_sided is not None
    assert non_inferior(tokens, 0.10, relative=True).bound == tokens.ratio_ci_one_sided[0]


def test_a_figure_that_is_not_comparable_is_never_shown_not_worse() -> None:
    ids = [f"c{i}" for i in range(30)]
    times = [100.0 + i for i in range(30)]
    base = table(ids, [True] * 30, latency_ms=times, ttft_ms=[t / 4 for t in times])
    candidate = table(ids, [True] * 30, latency_ms=times, ttft_ms=times, ttft_emulated=[True] * 30)
    ttft = compare_frames(base, candidate, pair=("a", "b"), higher_is_better={}).figure(
        "ttft_p50_ms"
    )
    assert ttft is not None
    verdict = non_inferior(ttft, 10.0, relative=True)
    assert (verdict.shown_not_worse, verdict.bound) == (False, None)
    assert "not comparable" in verdict.message
