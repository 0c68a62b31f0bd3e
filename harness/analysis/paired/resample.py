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
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.analysis.paired.blas import one_blas_thread
from harness.analysis.paired.order_statistics import PercentileColumn

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "BootstrapDraws",
    "Request",
    "ResamplePlan",
    "bca_intervals",
    "draw",
    "draw_many",
    "intervals",
]

_CHUNK_CELLS = 1 << 22


@dataclass(frozen=True)
class ResamplePlan:
    """How to draw: ``n`` cases, optional cluster number per case, resamples, seed."""

    n: int
    n_resamples: int
    seed: int
    groups: NDArray[np.intp] | None = None
    n_groups: int = 0

    def _chunks(
        self, dtype: type[np.int64] | type[np.float64], *, reuse: bool = False
    ) -> Iterator[NDArray[Any]]:
        """The counted chunks, drawn one chunk ahead on a second thread.

        numpy draws and counts without the GIL, so the next chunk is drawn while the caller
        multiplies this one: on 2 cores the engine's wall time drops by about a third. One
        generator draws every chunk in order on that thread, so a seed gives the same chunks
        as drawing inline would.
        """
        if self.n_resamples * max(self.n, 1) <= _CHUNK_CELLS:
            yield from self._counted(dtype)  # one chunk: nothing to overlap
            return
        # Three buffers: one the caller reads, one waiting in the queue, one being drawn; the
        # one the caller read is drawn into again only once it has asked for the next.
        chunks = self._counted(dtype, ring=3 if reuse else 0)
        ahead: queue.Queue[NDArray[Any] | BaseException | None] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def offer(item: NDArray[Any] | BaseException | None) -> bool:
            """Queue ``item``; False once the consumer has gone."""
            while not stop.is_set():
                try:
                    ahead.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for chunk in chunks:
                    if not offer(chunk):
                        return
                offer(None)
            except BaseException as exc:  # handed to the consumer, raised there
                offer(exc)

        producer = threading.Thread(target=produce, name="harness-bootstrap-draws", daemon=True)
        producer.start()
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()  # the consumer stopped early or failed: let the producer go
            producer.join()

    def _counted(
        self, dtype: type[np.int64] | type[np.float64], ring: int = 0
    ) -> Iterator[NDArray[Any]]:
        """Chunks of counts; with ``ring``, written into that many buffers in turn (a chunk
        is overwritten ``ring`` chunks later), so no page is faulted in twice: fresh 30 MB
        arrays per chunk cost half a second of system time over 2,000 resamples."""
        rng = np.random.default_rng(self.seed)
        units = self.n if self.groups is None else self.n_groups
        chunk = max(1, min(self.n_resamples, _CHUNK_CELLS // max(self.n, 1)))
        buffers: list[NDArray[Any]] = []
        done = 0
        while done < self.n_resamples:
            rows = min(chunk, self.n_resamples - done)
            if not ring:
                counts = np.empty((rows, units), dtype=dtype)
            else:
                if len(buffers) < ring:
                    buffers.append(np.empty((chunk, units), dtype=dtype))
                counts = buffers[(done // chunk) % ring][:rows]
            for row in range(rows):
                # Row by row: the same numbers as one (rows, units) draw (one stream, in
                # order), and a row of draws stays cache-sized for its bincount. int32 draws
                # are the same numbers as int64 ones (numpy draws 32 bits for a range below
                # 2**32 either way).
                draws = rng.integers(0, units, size=units, dtype=np.int32)
                counts[row] = np.bincount(draws, minlength=units)
            yield counts if self.groups is None else counts[:, self.groups]
            done += rows

    def counts(self) -> Iterator[NDArray[np.int64]]:
        """Chunks of resamples as counts per case, shape (chunk, n); the same for a seed."""
        return self._chunks(np.int64)

    def weights(self, *, reuse: bool = False) -> Iterator[NDArray[np.float64]]:
        """The same chunks as :meth:`counts`, as float64 (exact: they are small integers),
        ready for a matrix product. With ``reuse``, chunks share three buffers: a chunk holds
        its values only until the next one is asked for (copy what you keep)."""
        return self._chunks(np.float64, reuse=reuse)

    def max_draws(self) -> int:
        """The most cases one resample can hold: n, or with clusters, every draw the
        largest cluster."""
        if self.groups is None or self.groups.size == 0:
            return self.n
        return self.n_groups * int(np.bincount(self.groups).max())

    def key(self) -> tuple[int, int, int, bytes | None, int]:
        """Two plans with the same key draw the same resamples."""
        groups = None if self.groups is None else np.asarray(self.groups, np.int64).tobytes()
        return self.n, self.n_resamples, self.seed, groups, self.n_groups


@dataclass(frozen=True)
class BootstrapDraws:
    """Bootstrap distributions: ``means`` (resamples, k) and ``percentiles`` (resamples, m, q)."""

    means: NDArray[np.float64]
    percentiles: NDArray[np.float64]


@dataclass(frozen=True)
class Request:
    """One comparison's columns to resample: means of the columns of ``means`` (n, k) and
    the percentiles of the columns of ``percentiles`` (n, m); NaN marks a case left out.
    ``used`` (n, m), when given, leaves out more cases of a percentile column: the column
    holds one adapter's values (shared by its pairs), ``used`` the cases of this pair."""

    means: NDArray[np.float64]
    percentiles: NDArray[np.float64]
    used: NDArray[np.bool_] | None = None


def draw(
    plan: ResamplePlan,
    mean_columns: NDArray[np.float64],
    percentile_columns: NDArray[np.float64],
    qs: NDArray[np.float64],
) -> BootstrapDraws:
    """Resample the mean of each column of ``mean_columns`` (n, k) and the percentiles ``qs``
    of each column of ``percentile_columns`` (n, m); NaN marks a case a column lacks."""
    (found,) = draw_many(plan, [Request(mean_columns, percentile_columns)], qs)
    return found


_EXACT_FLOAT32 = float(1 << 24)
"""Sums of whole numbers below this are exact in float32, in any order of summation."""


def _exact(values: NDArray[np.float64]) -> bool:
    return bool(np.all(values == np.rint(values)))


def draw_many(
    plan: ResamplePlan, requests: Sequence[Request], qs: NDArray[np.float64]
) -> list[BootstrapDraws]:
    """Every request resampled from the same draws (the pairs of adapters of one run).

    Per chunk of resamples, two matrix products serve every request, each distinct column
    once: one of the columns of whole numbers (pass/error differences without repeats,
    validity masks, the counts below each percentile band), in float32 when every sum stays
    below 2**24 (then exact, and twice as fast), and one of the other columns in float64.
    Percentiles are exact: an adapter's percentile column that several pairs use is read once
    (``PercentileColumn`` views). A request drawn with others gets the same percentiles and
    whole-number sums as alone; its other means can differ in the last bits, as BLAS adds
    in an order that depends on the matrix's shape.
    """
    views, columns = _percentile_columns(plan, requests, qs)
    exact: list[NDArray[np.float64] | NDArray[np.bool_]] = [c.valid for c in columns]
    exact += [i for c in columns for i in c.below_indicators(plan.n)]
    drops = [c.drop_indicators(plan.n) for c in columns]
    drop_at = np.cumsum([len(exact), *(len(d) for d in drops)])
    exact += [i for d in drops for i in d]
    inexact: list[NDArray[np.float64] | NDArray[np.bool_]] = []
    slots: list[list[tuple[bool, int]]] = []  # per request, per mean part: (exact, index)
    largest = 1.0
    for request in requests:
        valid = ~np.isnan(request.means)
        where = []
        for part in [*np.where(valid, request.means, 0.0).T, *valid.T.astype(np.float64)]:
            if _exact(part):
                largest = max(largest, float(np.max(np.abs(part), initial=0.0)))
                where.append((True, len(exact)))
                exact.append(part)
            else:
                where.append((False, len(inexact)))
                inexact.append(part)
        slots.append(where)
    single = largest * plan.max_draws() < _EXACT_FLOAT32
    whole = _Products(exact, np.float32 if single else np.float64)
    other = _Products(inexact)
    means: list[list[NDArray[np.float64]]] = [[] for _ in requests]
    pcts: list[list[NDArray[np.float64]]] = [[] for _ in requests]
    m, nq = len(columns), len(qs)
    with one_blas_thread():  # tall, thin products: a second thread only spins
        for weights in plan.weights(reuse=True):  # nothing below keeps a view of a chunk
            sums = {True: whole.times(weights), False: other.times(weights)}
            counted = np.rint(sums[True][:, : drop_at[-1]]).astype(np.int64)
            read = [
                column.banded(
                    weights,
                    counted[:, m + j * nq : m + (j + 1) * nq],
                    counted[:, j],
                    counted[:, drop_at[j] : drop_at[j + 1]],
                )
                for j, column in enumerate(columns)
            ]
            for i, request in enumerate(requests):
                k = request.means.shape[1]
                if k:
                    parts = np.column_stack([sums[e][:, at] for e, at in slots[i]])
                    with np.errstate(invalid="ignore", divide="ignore"):
                        means[i].append(parts[:, :k] / parts[:, k:])
                else:
                    means[i].append(np.empty((weights.shape[0], 0)))
                chunk = np.full((weights.shape[0], len(views[i]), nq), np.nan)
                for slot, (j, view) in enumerate(views[i]):
                    chunk[:, slot, :] = read[j][view]
                pcts[i].append(chunk)
    return [
        BootstrapDraws(means=np.concatenate(a), percentiles=np.concatenate(b))
        for a, b in zip(means, pcts, strict=True)
    ]


def _percentile_columns(
    plan: ResamplePlan, requests: Sequence[Request], qs: NDArray[np.float64]
) -> tuple[list[list[tuple[int, int]]], list[PercentileColumn]]:
    """The distinct percentile columns of all requests, each with the views its requests
    need; per request, (column, view) of each of its percentile columns."""
    keys: dict[bytes, int] = {}
    values: list[NDArray[np.float64]] = []
    masks: list[dict[bytes, int]] = []
    excluded: list[list[NDArray[np.bool_]]] = []
    views: list[list[tuple[int, int]]] = []
    for request in requests:
        found = []
        for j in range(request.percentiles.shape[1]):
            column = np.ascontiguousarray(request.percentiles[:, j])
            key = column.tobytes()
            if key not in keys:
                keys[key] = len(values)
                values.append(column)
                masks.append({})
                excluded.append([])
            at = keys[key]
            view = 0
            left_out = np.zeros(column.shape, dtype=bool)
            if request.used is not None:
                left_out = ~np.isnan(column) & ~request.used[:, j]
            if left_out.any():
                mask_key = np.packbits(left_out).tobytes()
                if mask_key not in masks[at]:
                    masks[at][mask_key] = len(excluded[at]) + 1
                    excluded[at].append(left_out)
                view = masks[at][mask_key]
            found.append((at, view))
        views.append(found)
    columns = [
        PercentileColumn(v, qs, plan.groups, plan.n_groups, excluded=e)
        for v, e in zip(values, excluded, strict=True)
    ]
    return views, columns


class _Products:
    """counts @ columns, each distinct column multiplied once (validity masks repeat a lot:
    every timing figure of a side shares one)."""

    def __init__(
        self,
        columns: Sequence[NDArray[np.float64] | NDArray[np.bool_]],
        dtype: type[np.float32] | type[np.float64] = np.float64,
    ) -> None:
        self.columns = columns
        self.dtype = dtype
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
        self._matrix: NDArray[Any] = (np.column_stack(kept) if kept else np.empty((0, 0))).astype(
            dtype
        )

    def times(self, weights: NDArray[np.float64]) -> NDArray[np.float64]:
        if not self.columns:
            return np.empty((weights.shape[0], 0))
        product: NDArray[Any] = weights.astype(self.dtype, copy=False) @ self._matrix
        found: NDArray[np.float64] = product[:, self._where].astype(np.float64, copy=False)
        return found


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
