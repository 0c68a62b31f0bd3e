"""The plan on degenerate pilots: one case, no spread, no latency; values and words, no crash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis.paired.planning import FigurePlan, PlanSettings, plan_adapters

SETTINGS = PlanSettings(detect_points=5, detect_latency_percent=10)


def _frame(passed: list[bool], latency: list[float], repeats: int = 1) -> pd.DataFrame:
    n = len(passed)
    return pd.DataFrame(
        {
            "case_id": np.repeat([f"c{i:03d}" for i in range(n)], repeats),
            "repeat": np.tile(np.arange(repeats), n),
            "passed": np.repeat(passed, repeats),
            "missing": np.zeros(n * repeats, dtype=bool),
            "latency_ms": np.repeat(latency, repeats),
        }
    )


def _figures(base: pd.DataFrame, candidate: pd.DataFrame | None) -> dict[str, FigurePlan]:
    plan = plan_adapters("a", base, None if candidate is None else "b", candidate, SETTINGS)
    return {f.figure: f for f in plan.figures}


def test_single_case_pilot_cannot_plan_and_says_so() -> None:
    figures = _figures(_frame([True], [10.0]), _frame([False], [12.0]))
    for figure in figures.values():
        assert figure.cases_needed is None and figure.mde is None and figure.sd_diff is None
        assert "the pilot cannot say how many cases" in figure.sentence
        assert "With 1 case no change" in figure.sentence


def test_pilot_without_spread_plans_a_flagged_lower_bound() -> None:
    same = _frame([True] * 50, [10.0] * 50)
    figures = _figures(same, same)
    passing = figures["pass_rate"]
    # No noise: the exact test still needs 6 changed cases, so at least 6 / 0.05 = 120;
    # the discordance is then the change itself (0.05): 189 with the continuity correction.
    assert passing.cases_needed == 189
    assert any("no spread" in note for note in passing.notes)
    assert any("no spread" in note for note in figures["latency"].notes)
    repeated = _frame([True] * 50, [10.0] * 50, repeats=3)
    with_repeats = _figures(repeated, repeated)["pass_rate"]
    assert with_repeats.cases_needed == 120  # the floor, not the 2 a t-test on no spread says
    assert with_repeats.mde == 12.0  # 6 / 50 cases


def test_every_case_changing_alike_is_no_spread_not_no_change() -> None:
    figures = _figures(_frame([False] * 20, [np.nan] * 20), _frame([True] * 20, [np.nan] * 20))
    assert any("every case changed alike" in note for note in figures["pass_rate"].notes)
    latency = figures["latency"]  # asked for, but no latency was measured
    assert latency.cases == 0 and latency.cases_needed is None and latency.mde is None


def test_latency_figure_is_left_out_when_neither_measured_nor_asked() -> None:
    frame = _frame([True, False] * 10, [np.nan] * 20)
    plan = plan_adapters("a", frame, "b", frame, PlanSettings())
    assert [f.figure for f in plan.figures] == ["pass_rate"]
