"""The named tests and closed-form intervals of the paired comparison.

scipy and statsmodels where they implement the test (exact McNemar, t, Wilcoxon signed-rank);
by hand only what no kept library offers for paired data: Newcombe's interval for a paired
difference of proportions and the cluster-robust (CR1) standard error of a mean, both a few
vectorised lines. Each test returns ``(p_value, direction)``: direction is the sign (-1, 0,
+1) of the effect the test saw, so a verdict never pairs a p-value with the opposite sign.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from harness.analysis.stats import wilson_interval

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Test",
    "cluster_t_test",
    "cr1_standard_error",
    "mcnemar_test",
    "newcombe_interval",
    "paired_t_interval",
    "paired_t_test",
    "wilcoxon_test",
    "z_for",
]

Test = tuple[float | None, int]
"""(two-sided p-value or None when no test is possible, sign of the effect seen)."""


def z_for(level: float) -> float:
    """Two-sided standard-normal quantile for a confidence level (1.96 at 0.95)."""
    from scipy.stats import norm  # type: ignore[import-untyped,unused-ignore]

    return float(norm.ppf(0.5 + level / 2.0))


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def mcnemar_test(base: NDArray[np.float64], candidate: NDArray[np.float64]) -> Test:
    """Exact McNemar test on binary per-case outcomes (1 = yes). No discordant case: p = 1."""
    from statsmodels.stats.contingency_tables import (  # type: ignore[import-untyped,unused-ignore]
        mcnemar,
    )

    b = int(np.sum((base == 1) & (candidate == 0)))  # base yes, candidate no
    c = int(np.sum((base == 0) & (candidate == 1)))
    if b + c == 0:
        return 1.0, 0
    both = int(np.sum((base == 1) & (candidate == 1)))
    neither = len(base) - both - b - c
    # statsmodels takes the 2x2 table, not the raw vectors; only b and c matter when exact.
    result = mcnemar([[both, b], [c, neither]], exact=True)
    return min(1.0, float(result.pvalue)), _sign(c - b)


def newcombe_interval(
    base: NDArray[np.float64], candidate: NDArray[np.float64], level: float
) -> list[float]:
    """Interval for candidate - base pass share on binary paired outcomes.

    Newcombe's (1998) square-and-add interval: the two sides' Wilson score intervals combined
    with the phi correlation of the 2x2 table. Unlike the Wald interval it stays honest at
    0/n, n/n and with few discordant cases; no continuity correction.
    """
    n = len(base)
    both = float(np.sum((base == 1) & (candidate == 1)))
    b = float(np.sum((base == 1) & (candidate == 0)))
    c = float(np.sum((base == 0) & (candidate == 1)))
    d = n - both - b - c
    z = z_for(level)
    p1, p2 = (both + c) / n, (both + b) / n  # candidate, base
    l1, u1 = wilson_interval(both + c, n, z)
    l2, u2 = wilson_interval(both + b, n, z)
    denominator = (both + c) * (b + d) * (both + b) * (c + d)
    phi = 0.0 if denominator == 0 else (both * d - b * c) / math.sqrt(denominator)
    theta = p1 - p2
    down = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    up = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return [max(-1.0, theta - down), min(1.0, theta + up)]


def _constant_differences(diffs: NDArray[np.float64]) -> Test | None:
    """Differences with no spread: p = 1 when all zero, else the exact sign-test p-value."""
    if diffs.size == 0:
        return None, 0
    # Spread at the level of float noise (log(1.5 x) - log(x) over many x) is no spread.
    if np.ptp(diffs) > 1e-12 * max(1.0, float(np.max(np.abs(diffs)))):
        return None
    if np.all(diffs == 0):
        return 1.0, 0
    # Every case moved the same way by the same amount: the t statistic is infinite, but
    # with n cases a symmetric null gives that pattern of signs with probability 2**(1-n).
    return min(1.0, 2.0 ** (1 - diffs.size)), _sign(float(diffs[0]))


def paired_t_test(diffs: NDArray[np.float64]) -> Test:
    """One-sample t-test of the mean per-case difference against 0 (scipy ttest_1samp)."""
    from scipy.stats import ttest_1samp

    constant = _constant_differences(diffs)
    if constant is not None:
        return constant
    if diffs.size < 2:
        return None, 0
    result = ttest_1samp(diffs, 0.0)
    return float(result.pvalue), _sign(float(np.mean(diffs)))


def paired_t_interval(diffs: NDArray[np.float64], level: float) -> list[float] | None:
    """Student t interval for the mean per-case difference."""
    from scipy.stats import t

    if diffs.size < 2:
        return None
    mean = float(np.mean(diffs))
    half = float(t.ppf(0.5 + level / 2.0, diffs.size - 1)) * float(
        np.std(diffs, ddof=1) / math.sqrt(diffs.size)
    )
    return [mean - half, mean + half]


def wilcoxon_test(diffs: NDArray[np.float64]) -> Test:
    """Wilcoxon signed-rank test with zeros split between the signs (scipy, zsplit).

    scipy drops zero differences by default, which overstates a difference when most cases
    tie (common for scores on a 0..1 grid); ``zsplit`` keeps them. Differences are rounded
    to 12 decimals first so float noise (0.1 + 0.2 - 0.3) is a tie, not a tiny effect.
    The direction is the sign of (positive rank sum - negative rank sum).
    """
    from scipy.stats import rankdata, wilcoxon

    rounded = np.round(diffs, 12)
    constant = _constant_differences(rounded)
    if constant is not None and (constant[0] is None or constant[1] == 0):
        return constant
    ranks = rankdata(np.abs(rounded))
    direction = _sign(float(np.sum(ranks * np.sign(rounded))))
    with warnings.catch_warnings():
        # scipy warns that the exact distribution is unavailable with ties or zeros and falls
        # back to the normal approximation, which is what we want there.
        warnings.simplefilter("ignore", UserWarning)
        result = wilcoxon(rounded, zero_method="zsplit")
    return float(result.pvalue), direction


def cr1_standard_error(diffs: NDArray[np.float64], groups: NDArray[np.intp]) -> float:
    """Cluster-robust (CR1) standard error of the mean of ``diffs`` with clusters ``groups``.

    Equals statsmodels ``OLS(diffs, 1).fit(cov_type="cluster")``: the residual sums per
    cluster, squared and summed, scaled by G/(G-1) (with one regressor (N-1)/(N-K) is 1).
    """
    _, codes = np.unique(groups, return_inverse=True)
    g = int(codes.max()) + 1 if codes.size else 0
    if g < 2:
        return math.nan
    sums = np.bincount(codes, weights=diffs - np.mean(diffs), minlength=g)
    variance = g / (g - 1) * float(np.sum(sums**2)) / diffs.size**2
    return math.sqrt(variance)


def cluster_t_test(diffs: NDArray[np.float64], groups: NDArray[np.intp]) -> Test:
    """Wald test of the mean difference with the CR1 standard error and G-1 degrees of freedom.

    Cluster-robust errors are unreliable with fewer than about 40 clusters (the caller
    notes it); G-1 degrees of freedom make the test less anticonservative there.
    """
    from scipy.stats import t

    constant = _constant_differences(diffs)
    if constant is not None and (constant[0] is None or constant[1] == 0):
        return constant
    se = cr1_standard_error(diffs, groups)
    g = int(np.unique(groups).size)
    mean = float(np.mean(diffs))
    if not math.isfinite(se):
        return None, _sign(mean)
    if se == 0:
        # Every cluster moved by exactly the mean: the sign test over clusters, as above.
        return min(1.0, 2.0 ** (1 - g)), _sign(mean)
    return float(2.0 * t.sf(abs(mean) / se, g - 1)), _sign(mean)
