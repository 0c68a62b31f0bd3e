"""Percentiles of bootstrap resamples given as counts, without expanding them.

A resample's k-th smallest value is the sorted value whose cumulative count first exceeds k,
which gives exactly ``np.percentile`` (linear interpolation) of the expanded resample. Doing
that over all n cases costs a cumulative sum of every resample; but a resample's median or
p95 lands within a narrow band of the sorted values, so each chunk only sums the counts inside
a band around the expected position (the counts below the band come from the engine's matrix
product, one more column). The band is set before any draw from the spread the bootstrap gives
that position (its variance is a sum over the resampled units, so clusters are included):
``BAND_SDS`` standard deviations either side. A resample whose percentile falls outside the
band is read in full, so the result is always exact; the band only decides the speed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["BAND_SDS", "PercentileColumn", "weighted_percentiles"]

BAND_SDS = 6.0
"""Half-width of a band in standard deviations of the percentile's sorted position: a row
leaves it about once in 500 million resamples when the position is close to normal."""

_MIN_PAD = 16


def _crossings(cum: NDArray[np.int64], targets: NDArray[np.int64]) -> NDArray[np.int64]:
    """Per row, how many entries of the row (non-decreasing) are <= each of its targets.

    ``targets`` is (rows, t). One ``searchsorted`` over the rows laid end to end, each lifted
    above the previous one, instead of a Python loop over resamples.
    """
    rows, width = cum.shape
    if width == 0:
        return np.zeros(targets.shape, dtype=np.int64)
    stride = int(max(cum[:, -1].max(), targets.max())) + 1
    offsets = np.arange(rows, dtype=np.int64) * stride
    flat = (cum + offsets[:, None]).ravel()
    found = np.searchsorted(flat, (targets + offsets[:, None]).ravel(), side="right")
    counted: NDArray[np.int64] = (
        found.astype(np.int64).reshape(targets.shape)
        - (np.arange(rows, dtype=np.int64) * width)[:, None]
    )
    return counted


@dataclass
class _Reading:
    values: NDArray[np.float64]  # (rows,)
    inside: NDArray[np.bool_]  # (rows,): both positions needed fell inside the band


def _read(
    cum: NDArray[np.int64],
    below: NDArray[np.int64],
    total: NDArray[np.int64],
    start: int,
    ordered: NDArray[np.float64],
    q: float,
) -> _Reading:
    """Percentile ``q`` from the cumulative counts of sorted positions start.. (``cum``).

    ``below``: each row's count of drawn values sorted before ``start``; ``total``: each
    row's count of drawn values (the expanded resample's size).
    """
    rows = cum.shape[0]
    band_total = cum[:, -1] if cum.shape[1] else np.zeros(rows, dtype=np.int64)
    drawn = total > 0
    h = (total - 1) * (q / 100.0)
    lo = np.floor(h).astype(np.int64)
    relative = np.column_stack([lo, np.minimum(lo + 1, total - 1)]) - below[:, None]
    inside = (((relative >= 0) & (relative < band_total[:, None])).all(axis=1)) | ~drawn
    at = np.clip(start + _crossings(cum, np.clip(relative, 0, None)), 0, len(ordered) - 1)
    a, b = ordered[at[:, 0]], ordered[at[:, 1]]
    return _Reading(values=np.where(drawn, a + (h - lo) * (b - a), np.nan), inside=inside)


def _position_sd(
    cases: NDArray[np.intp], k: int, q: float, units: NDArray[np.intp] | None, n_units: int
) -> float:
    """Bootstrap standard deviation of the sorted position where percentile ``q`` falls,
    near position ``k``.

    The position moves by one per drawn value below it, so its spread is that of
    (drawn below k) - q * (drawn in total) = sum over units of count * a, with ``a`` a unit's
    cases below k minus q times its cases. Counts are multinomial (n_units draws, each unit
    equally likely), so the variance is sum(a^2) - sum(a)^2 / n_units.
    """
    weight = np.full(cases.size, -q)
    weight[:k] += 1.0
    a = weight if units is None else np.bincount(units[cases], weights=weight, minlength=n_units)
    return math.sqrt(max(0.0, float(np.sum(a * a)) - float(np.sum(a)) ** 2 / max(n_units, 1)))


class PercentileColumn:
    """One column's valid values in sorted order, and per percentile the band of sorted
    positions each chunk reads (``units``: each case's cluster, None for a case bootstrap).

    ``excluded``: views of the column that leave some of its cases out (an adapter's latency
    over the cases of one pair: those the other adapter has no latency for). One sorted order,
    one band and one below-count serve every view; a view subtracts its left-out cases' counts,
    which are few when the adapters ran the same cases. View 0 is the whole column.
    """

    def __init__(
        self,
        values: NDArray[np.float64],
        qs: NDArray[np.float64],
        units: NDArray[np.intp] | None = None,
        n_units: int = 0,
        excluded: Sequence[NDArray[np.bool_]] = (),
    ) -> None:
        self.valid = ~np.isnan(values)
        present = np.flatnonzero(self.valid)
        self.cases = present[np.argsort(values[present], kind="stable")]
        self.ordered = values[self.cases]
        self.qs = [float(q) for q in qs]
        n_units = n_units if units is not None else values.size
        # Per view, the sorted positions it leaves out (ascending).
        self.views = [np.zeros(0, dtype=np.intp)] + [
            np.flatnonzero(mask[self.cases]) for mask in excluded
        ]
        self.bands = [self._band(q / 100.0, units, n_units) for q in self.qs]

    def _band(self, q: float, units: NDArray[np.intp] | None, n_units: int) -> tuple[int, int]:
        """The union over the views of each view's band, in positions of the whole column."""
        starts, stops = [], []
        for left_out in self.views:
            kept = np.delete(np.arange(len(self.cases)), left_out)
            if kept.size == 0:
                continue
            k = min(kept.size - 1, max(0, round(q * (kept.size - 1))))
            pad = BAND_SDS * _position_sd(self.cases[kept], k, q, units, n_units) + _MIN_PAD
            starts.append(int(kept[max(0, math.floor(k - pad))]))
            stops.append(int(kept[min(kept.size - 1, math.ceil(k + pad) + 1)]) + 1)
        return (min(starts), max(stops)) if starts else (0, 0)

    def below_indicators(self, n: int) -> list[NDArray[np.float64]]:
        """Per percentile, 1.0 for the cases sorted before its band (counts @ it = drawn
        below the band)."""
        out = []
        for start, _ in self.bands:
            indicator = np.zeros(n)
            indicator[self.cases[:start]] = 1.0
            out.append(indicator)
        return out

    def _cum(
        self, counts: NDArray[np.float64], start: int, stop: int, left_out: NDArray[np.intp]
    ) -> NDArray[np.int64]:
        return _cumulative(counts[:, self.cases[start:stop]], start, left_out)

    def read_full(self, counts: NDArray[np.float64], view: int = 0) -> list[NDArray[np.float64]]:
        """Every percentile of every row, from the cumulative counts of all sorted values."""
        cum = self._cum(counts, 0, len(self.cases), self.views[view])
        total = cum[:, -1] if cum.shape[1] else np.zeros(counts.shape[0], dtype=np.int64)
        zero = np.zeros_like(total)
        return [_read(cum, zero, total, 0, self.ordered, q).values for q in self.qs]

    def drop_indicators(self, n: int) -> list[NDArray[np.float64]]:
        """Per view after the first, 1.0 for its left-out cases, then per percentile for
        those sorted before the band (counts @ them = the draws a view takes away)."""
        out = []
        for left_out in self.views[1:]:
            for stop in (len(self.cases), *(start for start, _ in self.bands)):
                indicator = np.zeros(n)
                indicator[self.cases[left_out[left_out < stop]]] = 1.0
                out.append(indicator)
        return out

    def banded(
        self,
        counts: NDArray[np.float64],
        below: NDArray[np.int64],
        total: NDArray[np.int64],
        dropped: NDArray[np.int64],
    ) -> list[NDArray[np.float64]]:
        """Read a chunk inside the bands, for every view (rows x percentiles each); ``below``:
        rows x percentiles, ``total``: each row's valid draws, both of the whole column;
        ``dropped``: the sums of :meth:`drop_indicators`. Rows that leave a band are read in
        full."""
        rows, width = counts.shape[0], 1 + len(self.qs)
        found = [np.empty((rows, len(self.qs))) for _ in self.views]
        for i, (q, (start, stop)) in enumerate(zip(self.qs, self.bands, strict=True)):
            band = counts[:, self.cases[start:stop]]  # once for every view
            for view, left_out in enumerate(self.views):
                at = (view - 1) * width
                reading = _read(
                    _cumulative(band, start, left_out),
                    below[:, i] - dropped[:, at + 1 + i] if view else below[:, i],
                    total - dropped[:, at] if view else total,
                    start,
                    self.ordered,
                    q,
                )
                found[view][:, i] = reading.values
                outside = ~reading.inside
                if outside.any():
                    found[view][outside, i] = self.read_full(counts[outside], view)[i]
        return found


def _cumulative(
    band: NDArray[np.float64], start: int, left_out: NDArray[np.intp]
) -> NDArray[np.int64]:
    """Cumulative counts along a band of sorted positions from ``start``, the positions
    ``left_out`` counted as never drawn. Counts are whole numbers (float64 holds them
    exactly); the sums come back as integers."""
    inside = left_out[(left_out >= start) & (left_out < start + band.shape[1])]
    if inside.size:
        band = band.copy()
        band[:, inside - start] = 0.0
    cum: NDArray[np.int64] = np.cumsum(band, axis=1).astype(np.int64)
    return cum


def weighted_percentiles(
    counts: NDArray[np.int64] | NDArray[np.float64],
    values: NDArray[np.float64],
    qs: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``np.percentile`` (linear) of each resample given as counts; shape (rows, len(qs))."""
    column = PercentileColumn(values, qs)
    return np.column_stack(column.read_full(np.asarray(counts, dtype=np.float64)))
