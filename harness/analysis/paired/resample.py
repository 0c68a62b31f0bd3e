"""Paired bootstrap, vectorised: every figure of a comparison is resampled from the same draws.

A resample is a row of counts (how often each case, or each cluster, was drawn), so a case
bootstrap and a cluster bootstrap share one code path: means are two matrix products
(counts @ values, counts @ valid), and percentiles are read from the cumulative counts of the
sorted values, which gives exactly ``np.percentile`` of the expanded resample (linear
interpolation) without materialising it. Draws come in chunks of about four million cells,
so 100,000 cases x 2,000 resamples never hold more than a few tens of MB at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["BootstrapDraws", "ResamplePlan", "draw", "intervals", "weighted_percentiles"]

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


def weighted_percentiles(
    counts: NDArray[np.int64], values: NDArray[np.float64], qs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``np.percentile`` (linear) of each resample given as counts; shape (rows, len(qs)).

    ``values`` holds only valid values; ``counts`` their columns. The expanded resample's
    k-th smallest element is the sorted value whose cumulative count first exceeds k, found
    for all rows at once with one ``searchsorted`` over the rows laid end to end.
    """
    rows = counts.shape[0]
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    cum = np.cumsum(counts[:, order], axis=1)
    total = cum[:, -1]
    stride = int(total.max()) + 1
    offsets = np.arange(rows, dtype=np.int64) * stride
    flat = (cum + offsets[:, None]).ravel()
    out = np.full((rows, len(qs)), np.nan)
    size = len(values)
    for j, q in enumerate(qs):  # two or three quantiles, not a loop over cases
        h = (total - 1) * (q / 100.0)
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, total - 1)
        at_lo = np.searchsorted(flat, lo + offsets, side="right") - np.arange(rows) * size
        at_hi = np.searchsorted(flat, hi + offsets, side="right") - np.arange(rows) * size
        ok = total > 0
        a = ordered[np.clip(at_lo, 0, size - 1)]
        b = ordered[np.clip(at_hi, 0, size - 1)]
        out[:, j] = np.where(ok, a + (h - lo) * (b - a), np.nan)
    return out


def draw(
    plan: ResamplePlan,
    mean_columns: NDArray[np.float64],
    percentile_columns: NDArray[np.float64],
    qs: NDArray[np.float64],
) -> BootstrapDraws:
    """Resample the mean of each column of ``mean_columns`` (n, k) and the percentiles ``qs``
    of each column of ``percentile_columns`` (n, m); NaN marks a case a column lacks.
    """
    valid = ~np.isnan(mean_columns)
    filled = np.where(valid, mean_columns, 0.0)
    pct_valid = [~np.isnan(percentile_columns[:, j]) for j in range(percentile_columns.shape[1])]
    means, pcts = [], []
    for counts in plan.counts():
        weights = counts.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append((weights @ filled) / (weights @ valid.astype(np.float64)))
        chunk = np.full((counts.shape[0], len(pct_valid), len(qs)), np.nan)
        for j, ok in enumerate(pct_valid):  # one column per timing side, a handful
            if ok.any():
                chunk[:, j, :] = weighted_percentiles(counts[:, ok], percentile_columns[ok, j], qs)
        pcts.append(chunk)
    return BootstrapDraws(
        means=np.concatenate(means) if means else np.empty((0, mean_columns.shape[1])),
        percentiles=np.concatenate(pcts),
    )


def intervals(samples: NDArray[np.float64], levels: Sequence[float]) -> list[list[float] | None]:
    """Percentile bootstrap intervals, one per two-sided level; None when nothing was drawn."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return [None for _ in levels]
    tails = [(1.0 - level) / 2.0 * 100.0 for level in levels]
    ends = np.percentile(finite, [q for tail in tails for q in (tail, 100.0 - tail)])
    return [[float(ends[2 * i]), float(ends[2 * i + 1])] for i in range(len(levels))]
