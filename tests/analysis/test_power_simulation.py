"""The planned size detects the planted change at about the stated power (seeded simulations).

Each design simulates 400 experiments at the size the power functions plan, runs the test the
harness runs on them (exact McNemar for pass/fail, a paired t-test for means), and counts
rejections at alpha 0.05. With 400 experiments the Monte-Carlo standard error at a true power of
0.8 is sqrt(0.8 * 0.2 / 400) = 0.02, so the band 0.72..0.88 is four standard errors either
side: wide enough for the Monte-Carlo error and the approximation's own (simulated with 20,000
experiments it is within 0.02 of 0.8 for these designs), narrow enough to fail a planner that
is 30% short (its power falls near 0.65, checked below) or 40% generous (near 0.9).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.analysis.paired.power import (
    mde_mean_paired,
    mde_proportion_paired,
    n_for_mean_paired,
    n_for_proportion_paired,
)

EXPERIMENTS = 400
ALPHA = 0.05
BAND = (0.72, 0.88)


def _mcnemar_power(n: int, delta: float, discordance: float, seed: int) -> float:
    """Share of seeded experiments in which the exact McNemar test rejects."""
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(seed)
    worse, better = (discordance + delta) / 2, (discordance - delta) / 2
    counts = rng.multinomial(n, [worse, better, 1 - discordance], size=EXPERIMENTS)
    p_values = [mcnemar([[0, int(w)], [int(b), 0]], exact=True).pvalue for w, b, _ in counts]
    return float(np.mean(np.asarray(p_values) <= ALPHA))


def _t_test_power(n: int, delta: float, sd: float, seed: int) -> float:
    """Share of seeded experiments in which the paired t-test rejects (skewed differences)."""
    rng = np.random.default_rng(seed)
    # Differences from a shifted gamma (skewness 1), not a normal: the planner must not rely
    # on normal data, as per-case score and pass-fraction differences are not normal.
    shape = 4.0
    raw = rng.gamma(shape, 1.0, size=(EXPERIMENTS, n))
    differences = delta + sd * (raw - shape) / np.sqrt(shape)
    p_values = stats.ttest_1samp(differences, 0.0, axis=1).pvalue
    return float(np.mean(p_values <= ALPHA))


@pytest.mark.parametrize(
    ("delta", "discordance", "seed"),
    [(0.05, 0.15, 1), (0.10, 0.30, 2), (-0.10, 0.20, 3)],
)
def test_planned_pass_rate_size_reaches_the_power(
    delta: float, discordance: float, seed: int
) -> None:
    n = n_for_proportion_paired(delta, discordance)
    assert n is not None
    assert BAND[0] <= _mcnemar_power(n, delta, discordance, seed) <= BAND[1]


def test_lopsided_pass_rate_change_is_not_underpowered() -> None:
    # When almost every discordant case goes the same way (here 11 of 12) the continuity
    # correction is generous: simulated with 20,000 experiments the power is 0.87-0.88, not
    # 0.8. Generous is the safe side; this checks it never drops under the band.
    n = n_for_proportion_paired(0.05, 0.06)
    assert n is not None
    assert _mcnemar_power(n, 0.05, 0.06, 12) >= BAND[0]


def test_short_and_generous_pass_rate_sizes_leave_the_band() -> None:
    # The band can fail: 70% of the planned size is underpowered, 150% overpowered.
    n = n_for_proportion_paired(0.10, 0.30)
    assert n is not None
    assert _mcnemar_power(int(0.7 * n), 0.10, 0.30, 4) < BAND[0]
    assert _mcnemar_power(int(1.5 * n), 0.10, 0.30, 5) > BAND[1]


def test_pass_rate_mde_is_detected_at_the_power() -> None:
    n, discordance = 300, 0.2
    delta = mde_proportion_paired(n, discordance)
    assert BAND[0] <= _mcnemar_power(n, delta, discordance, 6) <= BAND[1]


@pytest.mark.parametrize(("delta", "sd", "seed"), [(0.2, 1.0, 7), (0.05, 0.4, 8)])
def test_planned_mean_size_reaches_the_power(delta: float, sd: float, seed: int) -> None:
    n = n_for_mean_paired(delta, sd)
    assert n is not None
    assert BAND[0] <= _t_test_power(n, delta, sd, seed) <= BAND[1]


def test_mean_mde_is_detected_at_the_power_and_short_sizes_are_not() -> None:
    n, sd = 150, 0.8
    assert BAND[0] <= _t_test_power(n, mde_mean_paired(n, sd), sd, 9) <= BAND[1]
    assert _t_test_power(n, 0.7 * mde_mean_paired(n, sd), sd, 10) < BAND[0]
