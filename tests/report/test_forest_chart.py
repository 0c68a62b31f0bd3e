"""The forest plot of many pairs with long adapter names: laid out, no matplotlib warning.

At a fixed 7.5 in, y labels of 60+ characters (four adapters with long names, six pairs)
left the panels no width: matplotlib warned "axes sizes collapsed to zero" (an error under
this project's filterwarnings) and the plot lost its layout.
"""

from __future__ import annotations

import re
import warnings
from itertools import combinations

import pytest

from harness.report.html_charts import ForestRow, forest_svg

FIGURES = [
    ("pass rate", "share", 0.05, 0.02, 0.08, "better"),
    ("error rate", "share", 0.0, -0.002, 0.002, "no_difference"),
    ("score: token_f1", "score", 0.03, 0.01, 0.04, "better"),
    ("latency p95", "ms", -30.0, -57.0, 1.0, "no_difference"),
    ("inter-token latency (mean)", "ms", -2.2, -2.9, -1.4, "better"),
    ("output tokens/s", "tokens/s", 12.0, 8.0, 16.0, "worse"),
]


def _rows(names: list[str]) -> list[ForestRow]:
    return [
        ForestRow(f"{a} vs {b}: {label}", unit, delta, low, high, verdict)
        for a, b in combinations(names, 2)
        for label, unit, delta, low, high, verdict in FIGURES
    ]


def _width_pt(svg: str) -> float:
    match = re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', svg)
    assert match is not None
    return float(match.group(1))


@pytest.mark.parametrize("name_length", [8, 30, 45, 60])
def test_four_adapters_with_long_names_lay_out_without_a_warning(name_length: int) -> None:
    names = [(f"adapter-{i}-" + "Wide-model-name" * 10)[:name_length] for i in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = forest_svg(_rows(names))
    assert svg is not None and svg.lstrip().startswith("<?xml")


def test_short_labels_keep_the_usual_width_and_long_ones_stay_bounded() -> None:
    short = forest_svg(_rows(["a", "b", "c", "d"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = forest_svg(_rows([f"{i}-" + "W" * 400 for i in range(4)]))
    assert short is not None and huge is not None
    assert _width_pt(short) == pytest.approx(7.5 * 72)
    # Labels are elided to 90 characters, so the plot stays within a readable width.
    assert 7.5 * 72 < _width_pt(huge) < 20 * 72
