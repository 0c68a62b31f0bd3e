"""Percentiles of bootstrap resamples given as counts, without expanding them.

A resample's k-th smallest value is the sorted value whose cumulative count first exceeds k,
which gives exactly ``np.percentile`` (linear interpolation) of the expanded resample. Doing
that over all n cases costs a cumulative sum of every resample; but a resample's median or
p95 lands within a narrow band of the sorted values, so after one chunk read in full, later
chunks only sum the counts inside a band around the positions seen (the counts below the band
come from the engine's matrix product, one more column). A resample whose percentile falls
outside the band is read in full again, so the result is always exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["PercentileColumn", "weighted_percentiles"]

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
    lowest: int  # smallest and largest sorted position read
    highest: int


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
    seen = at[drawn]
    a, b = ordered[at[:, 0]], ordered[at[:, 1]]
    return _Reading(
        values=np.where(drawn, a + (h - lo) * (b - a), np.nan),
        inside=inside,
        lowest=int(seen.min()) if seen.size else len(ordered),
        highest=int(seen.max()) if seen.size else -1,
    )


class PercentileColumn:
    """One column's valid values in sorted order, and per percentile the band later chunks
    read."""

    def __init__(self, values: NDArray[np.float64], qs: NDArray[np.float64]) -> None:
        self.valid = ~np.isnan(values)
        present = np.flatnonzero(self.valid)
        self.cases = present[np.argsort(values[present], kind="stable")]
        self.ordered = values[self.cases]
        self.qs = [float(q) for q in qs]
        self.bands = [(0, len(self.cases)) for _ in self.qs]

    def below_indicators(self, n: int) -> list[NDArray[np.float64]]:
        """Per percentile, 1.0 for the cases sorted before its band (counts @ it = drawn
        below the band)."""
        out = []
        for start, _ in self.bands:
            indicator = np.zeros(n)
            indicator[self.cases[:start]] = 1.0
            out.append(indicator)
        return out

    def _cum(self, counts: NDArray[np.int64], start: int, stop: int) -> NDArray[np.int64]:
        cum: NDArray[np.int64] = np.cumsum(counts[:, self.cases[start:stop]], axis=1)
        return cum

    def read_full(self, counts: NDArray[np.int64]) -> list[_Reading]:
        cum = self._cum(counts, 0, len(self.cases))
        total = cum[:, -1] if cum.shape[1] else np.zeros(counts.shape[0], dtype=np.int64)
        zero = np.zeros_like(total)
        return [_read(cum, zero, total, 0, self.ordered, q) for q in self.qs]

    def first(self, counts: NDArray[np.int64]) -> NDArray[np.float64]:
        """Read a chunk in full and choose each band: the positions seen, widened by their
        span on both sides."""
        readings = self.read_full(counts)
        for i, reading in enumerate(readings):
            if reading.highest >= reading.lowest:
                pad = max(reading.highest - reading.lowest, _MIN_PAD)
                self.bands[i] = (
                    max(0, reading.lowest - pad),
                    min(len(self.cases), reading.highest + pad + 1),
                )
        return np.column_stack([r.values for r in readings])

    def banded(
        self, counts: NDArray[np.int64], below: NDArray[np.int64], total: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Read a chunk inside the bands (``below``: rows x percentiles); rows that leave a
        band are read in full."""
        out = np.empty((counts.shape[0], len(self.qs)))
        for i, (q, (start, stop)) in enumerate(zip(self.qs, self.bands, strict=True)):
            cum = self._cum(counts, start, stop)
            reading = _read(cum, below[:, i], total, start, self.ordered, q)
            out[:, i] = reading.values
            outside = ~reading.inside
            if outside.any():
                out[outside, i] = self.read_full(counts[outside])[i].values
        return out


def weighted_percentiles(
    counts: NDArray[np.int64], values: NDArray[np.float64], qs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``np.percentile`` (linear) of each resample given as counts; shape (rows, len(qs))."""
    column = PercentileColumn(values, qs)
    return np.column_stack([reading.values for reading in column.read_full(counts)])
