"""Per-case values of both sides, aligned: repeats aggregated, judge-missing rows dropped.

Repeats are aggregated per case before any statistic (mean pass share, mean error share,
mean score, median timing), so a case repeated five times still counts once: repeats reduce
the noise of a case, they are not more cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from harness.analysis.paired.frame import SCORE_PREFIX

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["TIMING_COLUMNS", "PairedCases", "Sides", "aggregate", "pair_cases", "pair_sides"]

TIMING_COLUMNS = ("latency_ms", "ttft_ms", "itl_ms", "tokens_per_s")
_SHARE_COLUMNS = ("passed", "errored")


@dataclass(frozen=True)
class PairedCases:
    """Both sides' per-case values over the shared cases, sorted by case id.

    ``base[column]`` and ``candidate[column]`` are float arrays of length ``n`` (NaN where a
    side has no value). ``groups`` holds a cluster number per case when the frames carry
    clusters (a case without one is its own cluster), else None.
    """

    case_ids: list[str]
    base: dict[str, NDArray[np.float64]]
    candidate: dict[str, NDArray[np.float64]]
    base_only: list[str]
    candidate_only: list[str]
    groups: NDArray[np.intp] | None
    n_groups: int
    repeated: bool
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.case_ids)


@dataclass(frozen=True)
class _Side:
    """One side's per-case values over the cases of both sides: by column, clusters, repeats."""

    values: dict[str, NDArray[np.float64]]
    clusters: NDArray[np.object_]
    repeats: NDArray[np.int64]


def _group_mean(codes: NDArray[np.intp], v: NDArray[np.float64], m: int) -> NDArray[np.float64]:
    ok = ~np.isnan(v)
    counts = np.bincount(codes[ok], minlength=m)
    sums = np.bincount(codes[ok], weights=v[ok], minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _group_median(codes: NDArray[np.intp], v: NDArray[np.float64], m: int) -> NDArray[np.float64]:
    """Median per group ignoring NaN (the mean of the two middle values for an even count)."""
    ok = ~np.isnan(v)
    groups, x = codes[ok], v[ok]
    counts = np.bincount(groups, minlength=m)
    if counts.size == 0 or counts.max() <= 1:  # one value per case: the value (no sort)
        out = np.full(m, np.nan)
        out[groups] = x
        return out
    ordered = x[np.lexsort((x, groups))]
    starts = np.cumsum(counts) - counts
    has = counts > 0
    out = np.full(m, np.nan)
    lo, hi = starts + (counts - 1) // 2, starts + counts // 2
    out[has] = (ordered[lo[has]] + ordered[hi[has]]) / 2.0
    return out


def _column(rows: pd.DataFrame, name: str) -> NDArray[np.float64]:
    if name not in rows.columns:
        return np.full(len(rows), np.nan)
    return rows[name].to_numpy(dtype=float, na_value=np.nan)


def _graded(frame: pd.DataFrame) -> pd.DataFrame:
    if "missing" not in frame.columns:
        return frame
    kept: pd.DataFrame = frame.loc[~frame["missing"].to_numpy(dtype=bool)]
    return kept


def _per_case(rows: pd.DataFrame, codes: NDArray[np.intp], m: int, scores: list[str]) -> _Side:
    """One side per case (``codes``: each row's case number out of ``m``): mean shares and
    scores, median timings, any emulated TTFT, the first cluster named, the repeat count.

    Plain numpy (bincount, lexsort), not a pandas groupby: this runs hundreds of times in
    the statistical tests and on 100,000 records in the benchmark.
    """
    values = {name: _group_mean(codes, _column(rows, name), m) for name in _SHARE_COLUMNS}
    values.update({name: _group_mean(codes, _column(rows, name), m) for name in scores})
    errored = _column(rows, "errored") > 0
    for name in TIMING_COLUMNS:
        # An adapter error has no meaningful timing, whatever the reader put there.
        values[name] = _group_median(codes, np.where(errored, np.nan, _column(rows, name)), m)
    emulated = np.nan_to_num(_column(rows, "ttft_emulated")) > 0
    values["ttft_emulated"] = (np.bincount(codes[emulated], minlength=m) > 0).astype(float)
    clusters = np.full(m, None, dtype=object)
    if "cluster" in rows.columns:
        named = rows["cluster"].notna().to_numpy()
        first_codes, first_rows = np.unique(codes[named], return_index=True)
        clusters[first_codes] = rows["cluster"].to_numpy(dtype=object)[named][first_rows]
    return _Side(values=values, clusters=clusters, repeats=np.bincount(codes, minlength=m))


def _score_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if str(c).startswith(SCORE_PREFIX)]


def _clusters(
    base: NDArray[np.object_],
    candidate: NDArray[np.object_],
    case_ids: NDArray[np.object_],
    notes: list[str],
) -> tuple[NDArray[np.intp] | None, int]:
    """Cluster number per shared case; None when neither side names a cluster."""
    b, c = pd.Series(base, dtype=object), pd.Series(candidate, dtype=object)
    if b.isna().all() and c.isna().all():
        return None, 0
    disagree = b.notna() & c.notna() & (b != c)
    if disagree.any():
        notes.append(
            f"{int(disagree.sum())} cases have a different cluster on each side; "
            "the base side's cluster is used."
        )
    own = pd.Series(["case:" + str(i) for i in case_ids], dtype=object)
    keys = b.where(b.notna(), c).where(lambda k: k.notna(), own).astype(str)
    codes, uniques = pd.factorize(keys, sort=True)
    return codes.astype(np.intp), len(uniques)


@dataclass(frozen=True)
class Sides:
    """Several adapters' per-case values over one vocabulary of case ids (``ids``, sorted),
    each adapter aggregated once however many pairs it takes part in."""

    ids: NDArray[np.object_]
    sides: list[_Side]
    ungraded: list[int]


def aggregate(frames: Sequence[pd.DataFrame]) -> Sides:
    """Aggregate each table per case over the case ids of all of them."""
    graded = [_graded(frame) for frame in frames]
    # One vocabulary of case ids for every side: pairing is then a mask, not a string join.
    keys = pd.Series(
        np.concatenate([g["case_id"].to_numpy(dtype=object) for g in graded] or [np.empty(0)]),
        dtype=object,
    ).astype(str)
    codes, vocabulary = pd.factorize(keys, sort=True)
    m, bounds = len(vocabulary), np.cumsum([0, *(len(g) for g in graded)])
    sides = [
        _per_case(g, codes[bounds[i] : bounds[i + 1]], m, _score_columns(frames[i]))
        for i, g in enumerate(graded)
    ]
    ungraded = [
        int(frame["missing"].sum()) if "missing" in frame.columns else 0 for frame in frames
    ]
    return Sides(ids=np.asarray(vocabulary, dtype=object), sides=sides, ungraded=ungraded)


def pair_sides(sides: Sides, base: int, candidate: int) -> PairedCases:
    """Align the cases sides ``base`` and ``candidate`` (positions in ``sides``) both have."""
    notes: list[str] = []
    for side, at in (("base", base), ("candidate", candidate)):
        if dropped := sides.ungraded[at]:
            notes.append(
                f"{dropped} {side} records could not be graded (a judge failed) and were left out."
            )
    b, c, ids = sides.sides[base], sides.sides[candidate], sides.ids
    on_b, on_c = b.repeats > 0, c.repeats > 0
    rows = np.flatnonzero(on_b & on_c)
    shared = ids[rows]
    groups, n_groups = _clusters(b.clusters[rows], c.clusters[rows], shared, notes)
    return PairedCases(
        case_ids=[str(i) for i in shared],
        base={k: v[rows] for k, v in b.values.items()},
        candidate={k: v[rows] for k, v in c.values.items()},
        base_only=[str(i) for i in ids[on_b & ~on_c]],
        candidate_only=[str(i) for i in ids[on_c & ~on_b]],
        groups=groups,
        n_groups=n_groups,
        repeated=bool((b.repeats[rows] > 1).any() or (c.repeats[rows] > 1).any()),
        notes=notes,
    )


def pair_cases(base: pd.DataFrame, candidate: pd.DataFrame) -> PairedCases:
    """Aggregate each side per case and align the cases both sides have."""
    return pair_sides(aggregate([base, candidate]), 0, 1)
