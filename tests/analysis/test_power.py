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
    assert n_for_mean_paired(10.0, 1.0) == 2  # huge effect: still the two pairs a t-test needs


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


def test_proportion_mde_solves_the_paired_effect_size() -> None:
    n, disc = 200, 0.2
    delta = mde_proportion_paired(n, disc)
    # The returned change has exactly the effect size the t-test detects at n pairs.
    assert delta / math.sqrt(disc - delta**2) == pytest.approx(mde_mean_paired(n, 1.0), rel=1e-9)


def test_proportion_mde_grows_with_discordance_and_shrinks_with_n() -> None:
    assert mde_proportion_paired(200, 0.3) > mde_proportion_paired(200, 0.1)
    assert mde_proportion_paired(800, 0.2) < mde_proportion_paired(200, 0.2)


def test_proportion_known_value() -> None:
    # delta 0.05, discordance 0.15: effect 0.05 / sqrt(0.1475) = 0.1302 -> 466 pairs.
    assert n_for_proportion_paired(0.05, 0.15) == 466
    assert n_for_proportion_paired(-0.05, 0.15) == 466


def test_proportion_exact_floor_binds_at_low_discordance() -> None:
    # All discordant cases one way (discordance == delta): the t formula alone would ask for
    # 152 cases at delta 0.05, but the exact test needs 6 discordant ones: 0.05 * 120 = 6.
    assert n_for_proportion_paired(0.05, 0.05) == 152
    assert n_for_proportion_paired(0.5, 0.5) == 12  # t formula says 6; 6 / 0.5 = 12 cases
    assert mde_proportion_paired(100, 0.0) == pytest.approx(0.06)
    assert mde_proportion_paired(12, 0.5) == pytest.approx(0.5)


def test_proportion_degenerate_values() -> None:
    assert mde_proportion_paired(1, 0.2) == math.inf
    assert mde_proportion_paired(3, 0.5) == 1.0  # capped: a share cannot change by more than 1
    assert n_for_proportion_paired(0.0, 0.2) is None
    assert n_for_proportion_paired(0.1, 0.05) is None  # more change than discordant cases
    assert n_for_proportion_paired(1.0, 1.0) == 6  # every case flips one way: the exact floor
