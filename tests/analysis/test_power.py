"""The power functions: closed-form checks, inverse consistency and the degenerate values."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from harness.analysis.paired.power import (
    exact_discordant_floor,
    mde_mean_paired,
    mde_proportion_paired,
    n_for_mean_paired,
    n_for_proportion_paired,
)

Z_975 = 1.959963984540054
Z_80 = 0.8416212335729143


def test_mean_mde_matches_the_normal_formula_for_large_n() -> None:
    # For large n the t-test is the z-test: mde = (z_{1-a/2} + z_{power}) * sd / sqrt(n).
    n, sd = 40_000, 2.5
    expected = (Z_975 + Z_80) * sd / math.sqrt(n)
    assert mde_mean_paired(n, sd) == pytest.approx(expected, rel=1e-3)


def test_mean_mde_uses_alpha_and_power() -> None:
    base = mde_mean_paired(100, 1.0)
    assert mde_mean_paired(100, 1.0, alpha=0.01) > base
    assert mde_mean_paired(100, 1.0, power=0.9) > base
    assert mde_mean_paired(400, 1.0) < base
    assert mde_mean_paired(100, 2.0) == pytest.approx(2 * base)


@pytest.mark.parametrize(
    ("n_for", "mde", "delta", "spread"),
    [
        (n_for_mean_paired, mde_mean_paired, 0.2, 1.0),
        (n_for_mean_paired, mde_mean_paired, -0.5, 1.3),
        (n_for_mean_paired, mde_mean_paired, 3.0, 10.0),
        (n_for_mean_paired, mde_mean_paired, 0.05, 0.4),
        (n_for_proportion_paired, mde_proportion_paired, 0.05, 0.15),
        (n_for_proportion_paired, mde_proportion_paired, -0.1, 0.3),
        (n_for_proportion_paired, mde_proportion_paired, 0.02, 0.1),
        (n_for_proportion_paired, mde_proportion_paired, 0.2, 0.25),
    ],
)
def test_n_for_is_the_smallest_n_whose_mde_reaches_delta(
    n_for: Callable[[float, float], int | None],
    mde: Callable[[int, float], float],
    delta: float,
    spread: float,
) -> None:
    n = n_for(delta, spread)
    assert n is not None
    assert mde(n, spread) <= abs(delta) + 1e-12
    assert mde(n - 1, spread) > abs(delta)


def test_n_for_mean_known_value() -> None:
    # Cohen's d = 0.5, two-sided 5%, 80% power: 34 pairs (33.37 rounded up; G*Power agrees).
    assert n_for_mean_paired(0.5, 1.0) == 34


def test_mean_degenerate_values() -> None:
    assert mde_mean_paired(1, 1.0) == math.inf
    assert mde_mean_paired(0, 1.0) == math.inf
    assert mde_mean_paired(50, 0.0) == 0.0
    assert mde_mean_paired(50, math.nan) == math.inf
    assert n_for_mean_paired(0.0, 1.0) is None
    assert n_for_mean_paired(0.3, 0.0) == 2
    assert n_for_mean_paired(0.3, math.nan) is None
    assert n_for_mean_paired(math.inf, 1.0) is None
    assert n_for_mean_paired(20.0, 1.0) == 2  # huge effect: still the two pairs a t-test needs
    assert n_for_mean_paired(10.0, 1.0) == 3  # two pairs detect an effect of 11.6 sd


@pytest.mark.parametrize(
    "call",
    [
        lambda: mde_mean_paired(10, -1.0),
        lambda: mde_mean_paired(10, 1.0, alpha=0.0),
        lambda: mde_mean_paired(10, 1.0, power=1.0),
        lambda: n_for_mean_paired(0.1, -1.0),
        lambda: mde_proportion_paired(10, 1.5),
        lambda: n_for_proportion_paired(0.1, -0.1),
        lambda: exact_discordant_floor(1.0),
    ],
)
def test_invalid_settings_raise(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_exact_floor() -> None:
    assert exact_discordant_floor(0.05) == 6  # 2 * 0.5**6 = 0.031 <= 0.05 < 2 * 0.5**5
    assert exact_discordant_floor(0.01) == 8
    assert exact_discordant_floor(0.5) == 2


def test_proportion_mde_solves_the_continuity_corrected_effect_size() -> None:
    n, disc = 200, 0.2
    delta = mde_proportion_paired(n, disc)
    # The change, less McNemar's continuity correction of one case, has exactly the effect
    # size the t-test detects at n pairs.
    effect = (delta - 1 / n) / math.sqrt(disc - delta**2)
    assert effect == pytest.approx(mde_mean_paired(n, 1.0), rel=1e-9)


def test_mde_agrees_with_statsmodels_power() -> None:
    from statsmodels.stats.power import TTestPower

    # n=73 is where TTestPower().solve_power returns a negative root (-0.33) in scipy 1.17.
    # Low powers check the far tail too: at power 0.1 it holds a fifth of the rejections.
    for n in (5, 30, 73, 200, 5000):
        for power in (0.1, 0.8, 0.95):
            effect = mde_mean_paired(n, 1.0, alpha=0.05, power=power)
            assert effect > 0
            reached = TTestPower().power(
                effect_size=effect, nobs=n, alpha=0.05, alternative="two-sided"
            )
            assert reached == pytest.approx(power, abs=1e-6)


def test_proportion_mde_grows_with_discordance_and_shrinks_with_n() -> None:
    assert mde_proportion_paired(200, 0.3) > mde_proportion_paired(200, 0.1)
    assert mde_proportion_paired(800, 0.2) < mde_proportion_paired(200, 0.2)


def test_proportion_known_value() -> None:
    # delta 0.05, discordance 0.15: sd 0.384; the effect (0.05 - 1/n) / 0.384 reaches the
    # t-test's 80% effect at n = 505 (466 without the continuity correction).
    assert n_for_proportion_paired(0.05, 0.15) == 505
    assert n_for_proportion_paired(-0.05, 0.15) == 505


def test_proportion_exact_floor() -> None:
    # Almost every case flips one way (sd 0.3): the t formula asks for 4 cases, but the exact
    # test needs 6 discordant ones: 6 / 0.9 -> 7 cases.
    assert n_for_proportion_paired(0.9, 0.9) == 7
    assert n_for_proportion_paired(1.0, 1.0) == 6  # no spread at all: the floor alone
    assert mde_proportion_paired(100, 0.0) == pytest.approx(0.06)
    assert mde_proportion_paired(100, 0.01) == pytest.approx(0.06)  # formula gives 0.036
    assert mde_proportion_paired(7, 0.9) <= 0.9 < mde_proportion_paired(6, 0.9)


def test_proportion_degenerate_values() -> None:
    assert mde_proportion_paired(1, 0.2) == math.inf
    assert mde_proportion_paired(5, 1.0) == math.inf  # 5 discordant cases never reach p < 0.05
    assert n_for_proportion_paired(0.0, 0.2) is None
    assert n_for_proportion_paired(0.1, 0.05) is None  # more change than discordant cases
    assert n_for_proportion_paired(math.nan, 0.2) is None
