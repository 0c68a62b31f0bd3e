"""p-values print with enough digits that the number and the verdict never seem to disagree."""

from __future__ import annotations

import pytest

from harness.analysis import compare_pair, format_p_value
from harness.analysis.compare import SIGNIFICANCE_LEVEL


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0501, "p=0.0501"),  # was "p=0.05" next to "could be chance"
        (0.0500001, "p=0.0500001"),
        (0.05, "p=0.05"),  # exactly the threshold: not below it, and printed as it is
        (0.04996, "p=0.04996"),  # was "p=0.05" next to "unlikely to be chance"
        (0.0499, "p=0.0499"),
        (0.049, "p=0.049"),
        (0.051, "p=0.051"),
        (0.0546, "p=0.055"),  # far enough: two significant digits
        (0.0453, "p=0.045"),
        (0.03125, "p=0.031"),
        (0.0703125, "p=0.07"),
        (0.5, "p=0.5"),
        (1.0, "p=1"),
        (0.001, "p=0.001"),
        (0.000999, "p<0.001"),
    ],
)
def test_format_p_value_near_and_away_from_the_threshold(p, text):
    assert format_p_value(p) == text


@pytest.mark.parametrize("p", [0.04995, 0.049999, 0.0499999999, 0.0500000001, 0.050001, 0.05])
def test_printed_number_is_on_the_same_side_of_the_threshold_as_p(p):
    shown = float(format_p_value(p, SIGNIFICANCE_LEVEL).removeprefix("p="))
    assert (shown < SIGNIFICANCE_LEVEL) == (p < SIGNIFICANCE_LEVEL)
    assert (shown == SIGNIFICANCE_LEVEL) == (p == SIGNIFICANCE_LEVEL)


def test_threshold_is_a_parameter():
    assert format_p_value(0.0101, threshold=0.01) == "p=0.0101"
    assert format_p_value(0.0101) == "p=0.01"


def test_verdict_and_number_agree_in_the_comparison_text(monkeypatch):
    # 0.0501 is no real McNemar p-value of small counts; force it to test the wording.
    monkeypatch.setattr("harness.analysis.compare.mcnemar_exact_p", lambda a, b: 0.0501)
    pair = compare_pair("a", "b", {"x": True, "y": True}, {"x": False, "y": False})
    assert pair.verdict.endswith("the difference could be chance (p=0.0501).")
    monkeypatch.setattr("harness.analysis.compare.mcnemar_exact_p", lambda a, b: 0.04996)
    pair = compare_pair("a", "b", {"x": True, "y": True}, {"x": False, "y": False})
    assert pair.verdict.endswith("the difference is unlikely to be chance (p=0.04996).")
