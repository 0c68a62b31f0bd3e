"""A/A: two identical versions are almost never called better or worse, on any figure.

Each simulation compares two independent draws of the same version on 200 cases with a
shared per-case difficulty (correct answers correlate about 0.5 between the sides) and
shared per-case latency, so every figure's null is true. Holm across the figures promises a
family-wise error rate of at most 5%. Over S = 200 simulations the observed share has a
Monte-Carlo standard error of at most sqrt(0.05 * 0.95 / 200) = 0.0154 when the true rate is
5%, so the bound allows two of them: 0.05 + 2 * 0.0154 = 0.081. Without Holm (raw p-values
over the nine figures) the same simulations call 20.5% (one answer per case) and 22% (three
repeats): far above the bound.

Verdicts come from the tests, not from the bootstrap, so simulations use few resamples.
"""

from __future__ import annotations

import math

import pytest

from harness.analysis.paired.engine import compare_frames
from harness.analysis.paired.results import FIXED_FIGURES
from tests.analysis.paired_simulation import simulate_pair

SIMULATIONS = 200
NOMINAL = 0.05
BOUND = NOMINAL + 2 * math.sqrt(NOMINAL * (1 - NOMINAL) / SIMULATIONS)


@pytest.mark.parametrize("repeats", [1, 3])
def test_identical_versions_are_called_different_at_most_at_the_nominal_rate(
    repeats: int,
) -> None:
    called = 0
    figures_seen: set[str] = set()
    for seed in range(SIMULATIONS):
        base, candidate = simulate_pair(10_000 * repeats + seed, repeats=repeats)
        result = compare_frames(
            base,
            candidate,
            pair=("v1", "v1-again"),
            higher_is_better={},
            seed=seed,
            n_resamples=100,
        )
        figures_seen.update(f.figure for f in result.figures)
        called += any(f.verdict != "no_difference" for f in result.figures)
    # Every figure took part, so the family really is all nine figures.
    assert figures_seen == {*FIXED_FIGURES, "score:similarity"}
    assert called / SIMULATIONS <= BOUND, f"{called} of {SIMULATIONS} A/A comparisons called"
