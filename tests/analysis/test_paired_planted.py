"""Planted regressions are found, in the right direction, as often as the MDE says.

Same simulation as the A/A tests (200 cases, shared per-case difficulty and latency), with a
change planted in the candidate. Each claim runs 200 seeded simulations; verdicts come from
the tests (Holm across all nine figures), not from the bootstrap, so few resamples are used.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.analysis.paired.engine import compare_frames
from harness.analysis.paired.results import FIXED_FIGURES, PairComparisonResult
from tests.analysis.paired_simulation import simulate_pair

SIMULATIONS = 200
TIMING = FIXED_FIGURES[2:]


def _runs(offset: int, **planted: Any) -> list[PairComparisonResult]:
    out = []
    for seed in range(SIMULATIONS):
        base, candidate = simulate_pair(offset + seed, **planted)
        out.append(
            compare_frames(
                base,
                candidate,
                pair=("v1", "v2"),
                higher_is_better={},
                seed=seed,
                n_resamples=100,
            )
        )
    return out


def _verdicts(results: list[PairComparisonResult], figure: str) -> Counter[str]:
    found = [r.figure(figure) for r in results]
    return Counter(f.verdict for f in found if f is not None)


def test_a_pass_rate_ten_points_lower_is_called_worse_with_five_repeats() -> None:
    # 200 cases x 5 repeats: per-case pass shares, paired t-test; the MDE is about 6 points.
    results = _runs(20_000, pass_drop=0.10, repeats=5)
    verdicts = _verdicts(results, "pass_rate")
    assert verdicts["worse"] >= 0.95 * SIMULATIONS, verdicts
    assert verdicts["better"] == 0


def test_with_one_answer_per_case_the_mde_says_ten_points_are_not_reliably_seen() -> None:
    """200 single answers whose correctness correlates ~0.5 across versions: McNemar at
    Holm's level cannot reliably see 10 points, and the reported MDE says so up front
    (it is above 0.10), while the regression is still never called an improvement."""
    results = _runs(30_000, pass_drop=0.10)
    figures = [r.figure("pass_rate") for r in results]
    mdes = [f.mde for f in figures if f is not None and f.mde is not None]
    verdicts = _verdicts(results, "pass_rate")
    assert len(mdes) == SIMULATIONS
    assert sum(mdes) / len(mdes) > 0.10
    # 80% power at the MDE: a change below it is found less often than that.
    assert 0.2 * SIMULATIONS <= verdicts["worse"] < 0.8 * SIMULATIONS, verdicts
    assert verdicts["better"] == 0


def test_latency_thirty_percent_higher_is_called_worse_and_never_better() -> None:
    results = _runs(40_000, latency_factor=1.3)
    for figure in ("latency_p50_ms", "latency_p95_ms"):
        verdicts = _verdicts(results, figure)
        assert verdicts["worse"] >= 0.95 * SIMULATIONS, (figure, verdicts)
    for figure in TIMING:
        assert _verdicts(results, figure)["better"] == 0, figure
    ratios = [f.ratio for r in results if (f := r.figure("latency_p50_ms")) is not None]
    assert 1.25 < sum(r for r in ratios if r is not None) / len(ratios) < 1.35
