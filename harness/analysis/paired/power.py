"""Power of paired comparisons: the smallest detectable change, and the cases a change needs.

All four functions are two-sided and treat the comparison as a one-sample t-test on the
per-case paired differences (``statsmodels.stats.power.TTestPower``): the effect size is
``delta / sd_diff``. For pass/fail the per-case difference is -1, 0 or +1; with ``discordance``
the share of cases whose outcome differs between the two sides and ``delta`` the change in pass
rate, its standard deviation is ``sqrt(discordance - delta**2)``. The t approximation is good
when the expected number of discordant cases is more than a dozen or so; below that an exact
McNemar test is the real limit, so the pass/fail functions also respect the exact floor: no
two-sided paired test on pass/fail can reject with fewer than ``ceil(log2(2 / alpha))``
discordant cases (6 at alpha 0.05), even when they all go the same way.

Degenerate inputs return values instead of raising, so a report can always print something:
- fewer than 2 cases: the smallest detectable change is ``math.inf`` (nothing can be shown);
- no noise (``sd_diff == 0``): the smallest detectable mean change is ``0.0`` and 2 cases suffice;
- an unknown spread (``sd_diff`` NaN or infinite): ``math.inf`` / ``None``;
- a change of zero, or a pass-rate change larger than the discordance allows: ``None`` cases
  (no finite number of cases detects it);
- zero discordance: the smallest detectable pass-rate change is the exact floor over ``n``.
Invalid settings (alpha or power outside (0, 1), a negative spread or discordance outside
[0, 1]) are bugs in the caller and raise ``ValueError``.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = [
    "exact_discordant_floor",
    "mde_mean_paired",
    "mde_proportion_paired",
    "n_for_mean_paired",
    "n_for_proportion_paired",
]

_MIN_PAIRS = 2
"""A paired t-test needs two differences to estimate their spread."""


def _check_settings(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")


@lru_cache(maxsize=1024)
def _effect_size_for(n: int, alpha: float, power: float) -> float:
    """Standardised effect (delta / sd) detectable with ``n`` pairs; cached, the solver is slow."""
    from statsmodels.stats.power import TTestPower  # type: ignore[import-untyped,unused-ignore]

    return float(
        TTestPower().solve_power(
            effect_size=None, nobs=n, alpha=alpha, power=power, alternative="two-sided"
        )
    )


@lru_cache(maxsize=1024)
def _pairs_for(effect_size: float, alpha: float, power: float) -> int:
    """Pairs needed for a standardised effect (rounded up, at least two)."""
    from statsmodels.stats.power import TTestPower  # type: ignore[import-untyped,unused-ignore]

    nobs = float(
        TTestPower().solve_power(
            effect_size=effect_size, nobs=None, alpha=alpha, power=power, alternative="two-sided"
        )
    )
    return max(_MIN_PAIRS, math.ceil(nobs - 1e-9))


def exact_discordant_floor(alpha: float = 0.05) -> int:
    """Fewest discordant cases with which an exact two-sided McNemar test can reject.

    With k discordant cases all on one side the exact p-value is 2 * 0.5**k, so k must reach
    log2(2 / alpha): 6 at alpha 0.05, 8 at alpha 0.01.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return math.ceil(math.log2(2 / alpha) - 1e-12)


def mde_mean_paired(n: int, sd_diff: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest |mean difference| that ``n`` paired cases detect with the given power.

    ``sd_diff`` is the standard deviation of the per-case differences (after averaging repeats
    per case). Returns ``math.inf`` for fewer than 2 cases or an unknown spread, ``0.0`` when
    the differences have no spread.
    """
    _check_settings(alpha, power)
    if sd_diff < 0:
        raise ValueError(f"sd_diff must be >= 0, got {sd_diff}")
    if n < _MIN_PAIRS or not math.isfinite(sd_diff):
        return math.inf
    if sd_diff == 0:
        return 0.0
    return _effect_size_for(int(n), alpha, power) * sd_diff


def n_for_mean_paired(
    delta: float, sd_diff: float, *, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Paired cases needed to detect a mean difference of ``delta`` (either sign).

    Returns ``None`` when no finite number suffices (``delta`` is zero or not finite, or the
    spread is unknown) and 2 when the differences have no spread.
    """
    _check_settings(alpha, power)
    if sd_diff < 0:
        raise ValueError(f"sd_diff must be >= 0, got {sd_diff}")
    if delta == 0 or not math.isfinite(delta) or not math.isfinite(sd_diff):
        return None
    if sd_diff == 0:
        return _MIN_PAIRS
    return _pairs_for(abs(delta) / sd_diff, alpha, power)


def _check_discordance(discordance: float) -> None:
    if not 0 <= discordance <= 1:
        raise ValueError(f"discordance must be in [0, 1], got {discordance}")


def mde_proportion_paired(
    n: int, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest |change in pass rate| (a share, 0.05 = 5 points) ``n`` paired cases detect.

    ``discordance`` is the share of cases whose pass/fail differs between the two sides.
    Solving ``delta / sqrt(discordance - delta**2) = d`` for the detectable effect ``d`` gives
    ``delta = d * sqrt(discordance / (1 + d**2))``; the result is never below the exact floor
    over ``n`` (see :func:`exact_discordant_floor`), which is also the answer at zero
    discordance. Returns ``math.inf`` for fewer than 2 cases.
    """
    _check_settings(alpha, power)
    _check_discordance(discordance)
    if n < _MIN_PAIRS:
        return math.inf
    floor = exact_discordant_floor(alpha) / n
    d = _effect_size_for(int(n), alpha, power)
    return min(1.0, max(floor, d * math.sqrt(discordance / (1 + d * d))))


def n_for_proportion_paired(
    delta: float, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Paired cases needed to detect a change of ``delta`` in pass rate (a share, either sign).

    ``discordance`` is the expected share of discordant cases under that change; it is at
    least ``|delta|`` (every case that changed is discordant), and ``None`` is returned when
    it is smaller or when ``delta`` is zero. The result also covers the exact floor: enough
    cases that ``n * discordance`` reaches :func:`exact_discordant_floor`.
    """
    _check_settings(alpha, power)
    _check_discordance(discordance)
    if delta == 0 or not math.isfinite(delta) or abs(delta) > discordance:
        return None
    floor = math.ceil(exact_discordant_floor(alpha) / discordance - 1e-9)
    variance = discordance - delta * delta
    if variance <= 0:
        return max(_MIN_PAIRS, floor)
    return max(floor, _pairs_for(abs(delta) / math.sqrt(variance), alpha, power))
