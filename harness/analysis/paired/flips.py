"""Cases whose verdict flipped between base and candidate: what to read first after a verdict.

A case passes on a side when it passed at least half of its repeats (``CASE_PASS_SHARE``, as
in the run report); records a judge could not grade are left out. Pass -> fail flips come
first (the regressions), then fail -> pass, each in the base run's case order, with each
side's answer and the expectations it failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import ConfigDict, Field

from harness.analysis.paired.sources import AdapterRecords, CaseDetail

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["CASE_PASS_SHARE", "FailingExpectation", "FlipSide", "FlippedCase", "flipped_cases"]

CASE_PASS_SHARE = 0.5
"""A case passes on a side when at least this share of its repeats passed (the run report's)."""


# Frozen, slotted dataclasses rather than pydantic models: a run can flip 30,000 cases, and
# building them is 6 times faster (0.17 s against 1 s for 32,578 flips); pydantic still
# serialises, validates and documents them as parts of the compare document.
_FORBID = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class FailingExpectation:
    """One expectation a side's answer failed, and why."""

    __pydantic_config__ = _FORBID

    name: Annotated[
        str, Field(description="The expectation's metric name (contains, rouge_l, ...)")
    ]
    reason: Annotated[str, Field(description="What was expected and what came back")]


@dataclass(frozen=True, slots=True)
class FlipSide:
    """One side of a flipped case: how often it passed, one answer, and why it failed."""

    __pydantic_config__ = _FORBID

    passed: Annotated[
        bool, Field(description="The case's verdict on this side (pass share >= 0.5)")
    ]
    pass_share: Annotated[
        float, Field(description="Share of the case's graded repeats that passed")
    ]
    repeats: Annotated[int, Field(description="Graded records of the case on this side")]
    output: Annotated[
        str | None,
        Field(
            description="The answer of one repeat: the first failing one on a failing side, the "
            "first passing one on a passing side (full text; null when the request errored)"
        ),
    ]
    failing: Annotated[
        list[FailingExpectation],
        Field(description="The expectations that answer failed (empty on a passing side)"),
    ]
    error: Annotated[str | None, Field(description="The request's error, when it failed with one")]


@dataclass(frozen=True, slots=True)
class FlippedCase:
    """A case that passed on one side and failed on the other."""

    __pydantic_config__ = _FORBID

    case_id: str
    direction: Annotated[
        Literal["pass_to_fail", "fail_to_pass"],
        Field(
            description="pass_to_fail: passed on the base, fails on the candidate (a regression)"
        ),
    ]
    base: FlipSide
    candidate: FlipSide


@dataclass(frozen=True)
class _CaseTable:
    """Per graded case, in first-appearance order: its id, pass share, graded repeats, and
    the row of its first passing (``row_pass``) and first failing (``row_fail``) record
    (-1 when none)."""

    ids: NDArray[np.object_]
    share: NDArray[np.float64]
    repeats: NDArray[np.int64]
    row_pass: NDArray[np.int64]
    row_fail: NDArray[np.int64]


def _first_rows(codes: NDArray[np.intp], rows: NDArray[np.intp], k: int) -> NDArray[np.int64]:
    """The first of ``rows`` for each code below ``k`` (-1 when a code has none)."""
    out = np.full(k, -1, dtype=np.int64)
    found, first = np.unique(codes, return_index=True)
    out[found] = rows[first]
    return out


def _case_table(records: AdapterRecords) -> _CaseTable:
    import pandas as pd

    frame = records.frame
    rows = np.flatnonzero(~frame["missing"].to_numpy(dtype=bool))
    codes, ids = pd.factorize(frame["case_id"].to_numpy(dtype=object)[rows], sort=False)
    passed = frame["passed"].to_numpy(dtype=bool)[rows]
    k = len(ids)
    repeats = np.bincount(codes, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(codes, weights=passed, minlength=k) / repeats
    return _CaseTable(
        ids=np.asarray(ids, dtype=object),
        share=share,
        repeats=repeats.astype(np.int64),
        row_pass=_first_rows(codes[passed], rows[passed], k),
        row_fail=_first_rows(codes[~passed], rows[~passed], k),
    )


def _side(records: AdapterRecords, share: float, repeats: int, row: int) -> FlipSide:
    detail: CaseDetail = records.details[row]
    return FlipSide(
        passed=share >= CASE_PASS_SHARE,
        pass_share=share,
        repeats=repeats,
        output=detail.output,
        failing=[FailingExpectation(name=n, reason=r) for n, r in detail.failing],
        error=detail.error,
    )


def flipped_cases(base: AdapterRecords, candidate: AdapterRecords) -> list[FlippedCase]:
    """The cases both sides graded whose verdict differs: pass -> fail first.

    Verdicts are compared for every case at once (numpy); sides are built for the flipped
    cases only.
    """
    import pandas as pd

    b, c = _case_table(base), _case_table(candidate)
    at = pd.Index(c.ids).get_indexer(pd.Index(b.ids))  # each base case's position on the candidate
    both = np.flatnonzero(at >= 0)
    was = b.share[both] >= CASE_PASS_SHARE
    now = c.share[at[both]] >= CASE_PASS_SHARE
    flipped = both[was != now]
    # pass -> fail first, each group in the base's case order (a stable sort)
    flipped = flipped[(b.share[flipped] < CASE_PASS_SHARE).argsort(kind="stable")]
    out = []
    for i, j in zip(flipped.tolist(), at[flipped].tolist(), strict=True):
        share, share_c = float(b.share[i]), float(c.share[j])
        regression = share >= CASE_PASS_SHARE
        out.append(
            FlippedCase(
                case_id=str(b.ids[i]),
                direction="pass_to_fail" if regression else "fail_to_pass",
                base=_side(
                    base,
                    share,
                    int(b.repeats[i]),
                    int(b.row_pass[i] if regression else b.row_fail[i]),
                ),
                candidate=_side(
                    candidate,
                    share_c,
                    int(c.repeats[j]),
                    int(c.row_fail[j] if regression else c.row_pass[j]),
                ),
            )
        )
    return out
