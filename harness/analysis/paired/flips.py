"""Cases whose verdict flipped between base and candidate: what to read first after a verdict.

A case passes on a side when it passed at least half of its repeats (``CASE_PASS_SHARE``, as
in the run report); records a judge could not grade are left out. Pass -> fail flips come
first (the regressions), then fail -> pass, each in the base run's case order, with each
side's answer and the expectations it failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.paired.sources import AdapterRecords, CaseDetail

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CASE_PASS_SHARE", "FailingExpectation", "FlipSide", "FlippedCase", "flipped_cases"]

CASE_PASS_SHARE = 0.5
"""A case passes on a side when at least this share of its repeats passed (the run report's)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FailingExpectation(_Frozen):
    """One expectation a side's answer failed, and why."""

    name: str = Field(description="The expectation's metric name (contains, rouge_l, ...)")
    reason: str = Field(description="What was expected and what came back")


class FlipSide(_Frozen):
    """One side of a flipped case: how often it passed, one answer, and why it failed."""

    passed: bool = Field(description="The case's verdict on this side (pass share >= 0.5)")
    pass_share: float = Field(description="Share of the case's graded repeats that passed")
    repeats: int = Field(description="Graded records of the case on this side")
    output: str | None = Field(
        description="The answer of one repeat: the first failing one on a failing side, the "
        "first passing one on a passing side (full text; null when the request errored)"
    )
    failing: list[FailingExpectation] = Field(
        description="The expectations that answer failed (empty on a passing side)"
    )
    error: str | None = Field(description="The request's error, when it failed with one")


class FlippedCase(_Frozen):
    """A case that passed on one side and failed on the other."""

    case_id: str
    direction: Literal["pass_to_fail", "fail_to_pass"] = Field(
        description="pass_to_fail: passed on the base, fails on the candidate (a regression)"
    )
    base: FlipSide
    candidate: FlipSide


def _case_table(records: AdapterRecords) -> pd.DataFrame:
    """Per graded case (first-appearance order): pass share, repeats, and the row of its first
    passing (``row_pass``) and first failing (``row_fail``) record (-1 when none)."""
    import pandas as pd

    frame = records.frame
    graded = frame.loc[~frame["missing"].to_numpy(), ["case_id", "passed"]]
    grouped = graded.groupby("case_id", sort=False)["passed"]
    table = pd.DataFrame({"share": grouped.mean().astype(float), "repeats": grouped.size()})
    rows = graded.reset_index().groupby(["case_id", "passed"], sort=False)["index"].first()
    for passed, column in ((True, "row_pass"), (False, "row_fail")):
        found = rows.xs(passed, level="passed") if passed in rows.index.levels[1] else None
        table[column] = -1 if found is None else found.reindex(table.index).fillna(-1)
    typed: pd.DataFrame = table.astype({"row_pass": "int64", "row_fail": "int64"})
    return typed


def _side(records: AdapterRecords, share: float, repeats: int, row: int) -> FlipSide:
    detail: CaseDetail = records.details[row]
    # model_construct: every value already has its field's type (a run can flip 30,000 cases)
    return FlipSide.model_construct(
        passed=share >= CASE_PASS_SHARE,
        pass_share=share,
        repeats=repeats,
        output=detail.output,
        failing=[FailingExpectation.model_construct(name=n, reason=r) for n, r in detail.failing],
        error=detail.error,
    )


def flipped_cases(base: AdapterRecords, candidate: AdapterRecords) -> list[FlippedCase]:
    """The cases both sides graded whose verdict differs: pass -> fail first.

    Verdicts are compared for every case at once (pandas); models are built for the flipped
    cases only.
    """
    joined = _case_table(base).join(_case_table(candidate).add_suffix("_c"), how="inner")
    was = joined["share"].to_numpy() >= CASE_PASS_SHARE
    now = joined["share_c"].to_numpy() >= CASE_PASS_SHARE
    flipped = joined[was != now]
    # pass -> fail first, each group in the base's case order (a stable sort)
    flipped = flipped.iloc[(flipped["share"] < CASE_PASS_SHARE).to_numpy().argsort(kind="stable")]
    out = []
    for (
        case_id,
        share,
        repeats,
        row_pass,
        row_fail,
        share_c,
        repeats_c,
        pass_c,
        fail_c,
    ) in flipped.itertuples(name=None):
        regression = share >= CASE_PASS_SHARE
        out.append(
            FlippedCase.model_construct(
                case_id=str(case_id),
                direction="pass_to_fail" if regression else "fail_to_pass",
                base=_side(base, share, repeats, row_pass if regression else row_fail),
                candidate=_side(candidate, share_c, repeats_c, fail_c if regression else pass_c),
            )
        )
    return out
