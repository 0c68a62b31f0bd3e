"""Percentiles of plain float lists, shared by the load sweep (runner) and run totals (analysis).

Pure Python and import-free so the path to the first request stays light; the interpolation
is numpy's default ("linear", type 7 in Hyndman and Fan), so figures agree with pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
