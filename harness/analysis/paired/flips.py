"""Cases whose verdict flipped between base and candidate: what to read first after a verdict.

A case passes on a side when it passed at least half of its repeats (``CASE_PASS_SHARE``, as
in the run report); records a judge could not grade are left out. Pass -> fail flips come
first (the regressions), then fail -> pass, each in the base run's case order, with each
side's answer and the expectations it failed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.analysis.paired.sources import AdapterRecords, CaseDetail

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


def _verdicts(records: AdapterRecords) -> tuple[dict[str, tuple[float, int]], dict[str, int]]:
    """Per case: (pass share, graded repeats), and the first passing / failing row per case.

    The second mapping is keyed ``case_id + "\\0" + "1"|"0"``: the row of the first record
    of that case that passed ("1") or did not ("0").
    """
    frame = records.frame
    graded = frame[~frame["missing"].to_numpy()]
    grouped = graded.groupby("case_id", sort=False)["passed"]
    shares = grouped.mean()
    sizes = grouped.size()
    verdicts = {
        str(case): (float(share), int(size))
        for case, share, size in zip(shares.index, shares.to_numpy(), sizes.to_numpy(), strict=True)
    }
    firsts = graded.groupby(["case_id", "passed"], sort=False).head(1)
    rows = {
        f"{case}\0{int(ok)}": int(row)
        for case, ok, row in zip(
            firsts["case_id"].to_numpy(), firsts["passed"].to_numpy(), firsts.index, strict=True
        )
    }
    return verdicts, rows


def _side(
    records: AdapterRecords,
    case_id: str,
    verdict: tuple[float, int],
    rows: dict[str, int],
) -> FlipSide:
    share, size = verdict
    passed = share >= CASE_PASS_SHARE
    detail: CaseDetail = records.details[rows[f"{case_id}\0{int(passed)}"]]
    return FlipSide(
        passed=passed,
        pass_share=share,
        repeats=size,
        output=detail.output,
        failing=[FailingExpectation(name=n, reason=r) for n, r in detail.failing],
        error=detail.error,
    )


def flipped_cases(base: AdapterRecords, candidate: AdapterRecords) -> list[FlippedCase]:
    """The cases both sides graded whose verdict differs: pass -> fail first."""
    base_verdicts, base_rows = _verdicts(base)
    cand_verdicts, cand_rows = _verdicts(candidate)
    worse: list[FlippedCase] = []
    better: list[FlippedCase] = []
    for case_id, verdict in base_verdicts.items():
        other = cand_verdicts.get(case_id)
        if other is None:
            continue
        was, now = verdict[0] >= CASE_PASS_SHARE, other[0] >= CASE_PASS_SHARE
        if was == now:
            continue
        flip = FlippedCase(
            case_id=case_id,
            direction="pass_to_fail" if was else "fail_to_pass",
            base=_side(base, case_id, verdict, base_rows),
            candidate=_side(candidate, case_id, other, cand_rows),
        )
        (worse if was else better).append(flip)
    return worse + better
