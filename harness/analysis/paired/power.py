"""Power of paired comparisons: the smallest detectable change, and the cases a change needs.

All four functions are two-sided and treat the comparison as a one-sample t-test on the
per-case paired differences (the power of ``statsmodels.stats.power.TTestPower``): the effect
size is ``delta / sd_diff``. Means (scores, per-case pass fractions with repeats, latency
log-ratios) use it as it is.

Pass/fail without repeats is tested by the exact McNemar test, so the pass-rate functions model
that test. The per-case difference is -1, 0 or +1; with ``discordance`` the share of cases whose
outcome differs between the two sides (under the change) and ``delta`` the change in pass rate,
its standard deviation is ``sqrt(discordance - delta**2)``. Two corrections make the t
approximation match the exact test (checked by simulation in the tests; without them the
planned size reached about 75% power instead of 80%):
- McNemar's continuity correction, ``|b - c| - 1``: the change counts as ``|delta| - 1/n``;
- the exact floor: no two-sided exact test rejects with fewer than ``ceil(log2(2 / alpha))``
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
from collections.abc import Callable
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

_MAX_PAIRS = 1 << 62
"""Search bound for the number of cases; far beyond any suite."""


def _check_settings(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")


def _power(effect_size: float, n: int, alpha: float) -> float:
    """Two-sided power of the one-sample t-test on ``n`` paired differences.

    The formula of ``statsmodels.stats.power.TTestPower.power``, written out because with
    scipy 1.17 that function returns NaN once the noncentrality passes about 7 (it asks
    ``nct.cdf`` for the far tail) and ``solve_power`` then returns a negative root or an array
    for some n (n=73 gives -0.33). The far tail is taken here as ``nct.sf`` at the mirrored
    noncentrality, which is the same number and never NaN; a test checks the two agree.
    """
    from scipy import stats  # type: ignore[import-untyped,unused-ignore]

    df = n - 1
    critical = float(stats.t.isf(alpha / 2, df))
    noncentrality = effect_size * math.sqrt(n)
    upper = float(stats.nct.sf(critical, df, noncentrality))
    lower = float(stats.nct.sf(critical, df, -noncentrality))
    return upper + lower


@lru_cache(maxsize=4096)
def _effect_size_for(n: int, alpha: float, power: float) -> float:
    """Standardised effect (delta / sd) that ``n`` pairs detect with ``power``."""
    from scipy.optimize import brentq  # type: ignore[import-untyped,unused-ignore]

    if power <= alpha:  # even no effect is "detected" this often
        return 0.0
    high = 1.0
    while _power(high, n, alpha) < power:
        high *= 2
    return float(brentq(lambda d: _power(d, n, alpha) - power, 0.0, high, xtol=1e-12))


def _smallest_n(enough: Callable[[int], bool]) -> int | None:
    """Smallest n >= 2 for which ``enough(n)`` holds (it must stay true for larger n)."""
    if enough(_MIN_PAIRS):
        return _MIN_PAIRS
    low, high = _MIN_PAIRS, 2 * _MIN_PAIRS  # enough(low) is False
    while not enough(high):
        if high >= _MAX_PAIRS:
            return None
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


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
    effect = abs(delta) / sd_diff
    return _smallest_n(lambda n: _power(effect, n, alpha) >= power)


def _check_discordance(discordance: float) -> None:
    if not 0 <= discordance <= 1:
        raise ValueError(f"discordance must be in [0, 1], got {discordance}")


def mde_proportion_paired(
    n: int, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest |change in pass rate| (a share, 0.05 = 5 points) ``n`` paired cases detect.

    ``discordance`` is the share of cases whose pass/fail differs between the two sides.
    Solving ``(delta - 1/n) / sqrt(discordance - delta**2) = d`` (``d`` the effect the t-test
    detects at ``n``) for ``delta``; never below the exact floor over ``n`` (see
    :func:`exact_discordant_floor`), which is also the answer at zero discordance. Returns
    ``math.inf`` when no change of pass rate (at most 1.0) can be detected.
    """
    _check_settings(alpha, power)
    _check_discordance(discordance)
    if n < _MIN_PAIRS:
        return math.inf
    floor = exact_discordant_floor(alpha) / n
    d = _effect_size_for(int(n), alpha, power)
    correction = 1 / n
    radicand = discordance * (1 + d * d) - correction * correction
    delta = (correction + d * math.sqrt(radicand)) / (1 + d * d) if radicand > 0 else 0.0
    smallest = max(floor, delta)
    return smallest if smallest <= 1 else math.inf


def n_for_proportion_paired(
    delta: float, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Paired cases needed to detect a change of ``delta`` in pass rate (a share, either sign).

    The smallest n whose :func:`mde_proportion_paired` reaches ``|delta|``. ``discordance`` is
    the expected share of discordant cases under that change; it is at least ``|delta|``
    (every case that changed is discordant), and ``None`` is returned when it is smaller or
    when ``delta`` is zero.
    """
    _check_settings(alpha, power)
    _check_discordance(discordance)
    if delta == 0 or not math.isfinite(delta) or abs(delta) > discordance:
        return None
    floor = exact_discordant_floor(alpha)
    sd = math.sqrt(max(0.0, discordance - delta * delta))

    def enough(n: int) -> bool:
        # The same condition as mde_proportion_paired(n, discordance) <= |delta|, in the
        # direction that needs no root finding: n is tried ~2 log2(n) times.
        if n * discordance < floor - 1e-9 or abs(delta) - 1 / n <= 0:
            return False
        return sd == 0 or _power((abs(delta) - 1 / n) / sd, n, alpha) >= power

    return _smallest_n(enough)
