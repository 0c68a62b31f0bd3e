"""Small exact statistics for pass/fail data: Wilson intervals and the exact McNemar test.

Pure Python (``math`` only) so results do not depend on scipy and stay exact for small runs.
"""

from __future__ import annotations

import math

__all__ = ["Z_95", "format_p_value", "mcnemar_exact_p", "wilson_interval"]

Z_95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal distribution."""


def wilson_interval(successes: float, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion.

    Chosen over the normal ("Wald") interval because it stays inside [0, 1] and is honest
    at 0/n and n/n, which are common for small suites. ``successes`` may be fractional
    (a sum of per-case pass shares when cases are repeated): ``trials`` is then the number
    of cases, so repeats of one case never count as independent observations.
    """
    if trials <= 0:
        raise ValueError("wilson_interval needs at least one trial")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be in 0..{trials}, got {successes}")
    p = successes / trials
    z2 = z * z
    denom = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    # At 0/n and n/n the bound is exactly 0 or 1; floats would give 1e-17 or 0.9999999999999999.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def mcnemar_exact_p(a_only: int, b_only: int) -> float:
    """Exact two-sided McNemar p-value from the two discordant counts.

    Under "no difference" each discordant case is a fair coin, so the smaller count is
    Binomial(n, 1/2): p = min(1, 2 * sum_{k <= min} C(n, k) / 2**n). The terms are exact
    integers (C(n, k+1) = C(n, k) * (n - k) / (k + 1), which equals ``math.comb`` but avoids
    recomputing each one), so the result is exact up to the final float division.
    """
    if a_only < 0 or b_only < 0:
        raise ValueError("discordant counts must be >= 0")
    n = a_only + b_only
    if n == 0:
        return 1.0
    smaller = min(a_only, b_only)
    term = math.comb(n, 0)
    tail = term
    for k in range(smaller):
        term = term * (n - k) // (k + 1)
        tail += term
    return min(1.0, tail / (1 << (n - 1)))  # 2 * tail / 2**n, as exact ints


def format_p_value(p: float, threshold: float = 0.05) -> str:
    """``p=0.031`` style: two significant digits, more when needed near ``threshold``.

    Digits are added until the printed number lies on the same side of ``threshold`` as
    ``p`` (and equals it only when ``p`` does), so a verdict drawn from ``p < threshold``
    never sits next to a number that seems to say the opposite: 0.0501 prints as
    ``p=0.0501``, not ``p=0.05``; 0.04996 as ``p=0.04996``. Tiny values read ``p<0.001``.
    """
    if p < 0.001:
        return "p<0.001"
    side = (p > threshold) - (p < threshold)
    text = f"{p:.2g}"
    for digits in range(3, 18):
        shown = float(text)
        if (shown > threshold) - (shown < threshold) == side:
            break
        text = f"{p:.{digits}g}"
    return f"p={text}"
