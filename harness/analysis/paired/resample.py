"""Paired bootstrap, vectorised: every figure of a comparison is resampled from the same draws.

A resample is a row of counts (how often each case, or each cluster, was drawn), so a case
bootstrap and a cluster bootstrap share one code path: means are two matrix products
(counts @ values, counts @ valid), and percentiles are read from the cumulative counts of the
sorted values (``order_statistics``), which gives exactly ``np.percentile`` of the expanded
resample (linear interpolation) without materialising it. Draws come in chunks of about
four million cells, so 100,000 cases x 2,000 resamples never hold more than a few tens of MB
at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.analysis.paired.order_statistics import PercentileColumn

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["BootstrapDraws", "ResamplePlan", "bca_intervals", "draw", "intervals"]

_CHUNK_CELLS = 1 << 22


@dataclass(frozen=True)
class ResamplePlan:
    """How to draw: ``n`` cases, optional cluster number per case, resamples, seed."""

    n: int
    n_resamples: int
    seed: int
    groups: NDArray[np.intp] | None = None
    n_groups: int = 0

    def counts(self) -> Iterator[NDArray[np.int64]]:
        """Chunks of resamples as counts per case, shape (chunk, n); the same for a seed."""
        rng = np.random.default_rng(self.seed)
        units = self.n if self.groups is None else self.n_groups
        chunk = max(1, min(self.n_resamples, _CHUNK_CELLS // max(self.n, 1)))
        done = 0
        while done < self.n_resamples:
            rows = min(chunk, self.n_resamples - done)
            draws = rng.integers(0, units, size=(rows, units))
            flat = (draws + (np.arange(rows) * units)[:, None]).ravel()
            counts = np.bincount(flat, minlength=rows * units).reshape(rows, units)
            yield counts if self.groups is None else counts[:, self.groups]
            done += rows


@dataclass(frozen=True)
class BootstrapDraws:
    """Bootstrap distributions: ``means`` (resamples, k) and ``percentiles`` (resamples, m, q)."""

    means: NDArray[np.float64]
    percentiles: NDArray[np.float64]


def draw(
    plan: ResamplePlan,
    mean_columns: NDArray[np.float64],
    percentile_columns: NDArray[np.float64],
    qs: NDArray[np.float64],
) -> BootstrapDraws:
    """Resample the mean of each column of ``mean_columns`` (n, k) and the percentiles ``qs``
    of each column of ``percentile_columns`` (n, m); NaN marks a case a column lacks.

    One matrix product per chunk gives every column's weighted sum and weight, and, for the
    percentile columns, the counts drawn in total and below each one's band (exact integers:
    float64 holds them exactly).
    """
    k = mean_columns.shape[1]
    valid = ~np.isnan(mean_columns)
    columns = [
        PercentileColumn(percentile_columns[:, j], qs) for j in range(percentile_columns.shape[1])
    ]
    m, nq = len(columns), len(qs)
    products = _Products(
        [*np.where(valid, mean_columns, 0.0).T, *valid.T, *(c.valid for c in columns)]
    )
    means, pcts = [], []
    first = True
    for counts in plan.counts():
        weights = counts.astype(np.float64)
        sums = products.times(weights)
        chunk = np.full((counts.shape[0], m, nq), np.nan)
        if first:
            for j, column in enumerate(columns):
                chunk[:, j, :] = column.first(counts)
            # Later chunks also count the draws below each band, in the same product.
            products = _Products(
                [*products.columns, *(i for c in columns for i in c.below_indicators(plan.n))]
            )
            first = False
        else:
            totals = np.rint(sums[:, 2 * k : 2 * k + m]).astype(np.int64)
            drawn_below = np.rint(sums[:, 2 * k + m :]).astype(np.int64)
            for j, column in enumerate(columns):
                band = drawn_below[:, j * nq : (j + 1) * nq]
                chunk[:, j, :] = column.banded(counts, band, totals[:, j])
        pcts.append(chunk)
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append(sums[:, :k] / sums[:, k : 2 * k])
    return BootstrapDraws(means=np.concatenate(means), percentiles=np.concatenate(pcts))


class _Products:
    """counts @ columns, each distinct column multiplied once (validity masks repeat a lot:
    every timing figure of a side shares one)."""

    def __init__(self, columns: list[NDArray[np.float64] | NDArray[np.bool_]]) -> None:
        self.columns = columns
        distinct: dict[bytes, int] = {}
        self._where = []
        kept: list[NDArray[np.float64]] = []
        for column in columns:
            as_float = np.asarray(column, dtype=np.float64)
            key = as_float.tobytes()
            if key not in distinct:
                distinct[key] = len(kept)
                kept.append(as_float)
            self._where.append(distinct[key])
        self._matrix = np.column_stack(kept) if kept else np.empty((0, 0))

    def times(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        if not self.columns:
            return np.empty((weights.shape[0], 0))
        product: NDArray[np.float64] = (weights @ self._matrix)[:, self._where]
        return product


def intervals(samples: NDArray[np.float64], levels: Sequence[float]) -> list[list[float] | None]:
    """Percentile bootstrap intervals, one per two-sided level; None when nothing was drawn."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return [None for _ in levels]
    tails = [(1.0 - level) / 2.0 * 100.0 for level in levels]
    ends = np.percentile(finite, [q for tail in tails for q in (tail, 100.0 - tail)])
    return [[float(ends[2 * i]), float(ends[2 * i + 1])] for i in range(len(levels))]


def bca_intervals(
    samples: NDArray[np.float64],
    values: NDArray[np.float64],
    groups: NDArray[np.intp] | None,
    levels: Sequence[float],
) -> list[list[float] | None]:
    """Bias-corrected and accelerated (BCa) intervals of the mean of ``values``.

    ``samples`` are the bootstrap means of ``values`` (NaN marks a case left out); the
    acceleration comes from the jackknife, in closed form for a mean (leave one case out, or
    one cluster with ``groups``), so it costs O(n) where scipy's generic jackknife costs
    O(n^2). BCa corrects the percentile interval's bias and skew (scores near 0 or 1, latency
    ratios). Degenerate cases, where BCa is undefined (no spread, every resample on one side
    of the estimate, fewer than three cases or clusters), fall back to the percentile interval.
    """
    from scipy.special import ndtr, ndtri  # type: ignore[import-untyped,unused-ignore]

    finite = samples[np.isfinite(samples)]
    x = values[~np.isnan(values)]
    if finite.size < 2 or x.size < 3 or np.ptp(finite) == 0:
        return intervals(samples, levels)
    estimate = float(np.mean(x))
    z0 = float(ndtri((np.sum(finite < estimate) + np.sum(finite <= estimate)) / (2 * finite.size)))
    if groups is None:
        leave_one_out = (x.sum() - x) / (x.size - 1)
    else:
        _, codes = np.unique(groups[~np.isnan(values)], return_inverse=True)
        sums, sizes = np.bincount(codes, weights=x), np.bincount(codes)
        keep = sizes < x.size
        leave_one_out = (x.sum() - sums[keep]) / (x.size - sizes[keep])
    spread = float(np.mean(leave_one_out)) - leave_one_out
    scale = 6.0 * float(np.sum(spread**2)) ** 1.5
    if leave_one_out.size < 3 or scale == 0 or not math.isfinite(z0):
        return intervals(samples, levels)
    acceleration = float(np.sum(spread**3)) / scale
    out: list[list[float] | None] = []
    for level, fallback in zip(levels, intervals(samples, levels), strict=True):
        z = ndtri(np.array([(1.0 - level) / 2.0, (1.0 + level) / 2.0]))
        shrink = 1.0 - acceleration * (z0 + z)
        if np.any(shrink <= 0):
            out.append(fallback)
            continue
        ends = np.percentile(finite, 100.0 * ndtr(z0 + (z0 + z) / shrink))
        out.append([float(ends[0]), float(ends[1])])
    return out
