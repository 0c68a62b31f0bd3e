"""The console totals and the report's summary apply one definition of cases and counted records."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis.counting import CaseTally
from harness.analysis.summarize import summarize_run
from harness.analysis.totals import run_totals
from harness.records import AdapterInfo, CaseRecord, ErrorInfo
from harness.records.store import RecordWriter
from tests.unit.test_totals import write_run_manifest


def _record(case: str, repeat: int, passed: bool, *, judge_failed: bool = False) -> CaseRecord:
    return CaseRecord(
        run_id="r",
        case_id=case,
        adapter="a",
        repeat=repeat,
        prompt="p",
        output="o",
        passed=passed,
        latency_ms=5.0,
        error=ErrorInfo(type="rate_limited", message="429", origin="judge")
        if judge_failed
        else None,
        started_at="2026-01-01T00:00:00+00:00",
    )


def test_tally_counts_cases_once_and_averages_their_shares() -> None:
    tally = CaseTally()
    for case, passed in [("x", True), ("x", False), ("x", False), ("y", True), ("z", False)]:
        tally.add(case, passed=passed)
    tally.add("w", passed=False, graded=False)  # its judge never answered: missing
    assert (tally.requests, tally.cases, tally.graded_cases) == (6, 4, 3)
    assert tally.pass_shares() == {"x": pytest.approx(1 / 3), "y": 1.0, "z": 0.0}
    assert tally.pass_rate == pytest.approx((1 / 3 + 1 + 0) / 3)  # not 2 / 5 per request


def test_totals_and_summary_agree_on_uneven_repeats_and_superseded_records(
    tmp_path: Path,
) -> None:
    write_run_manifest(tmp_path, 3, [AdapterInfo(name="a", type="t", model="m")])
    records = [
        _record("c1", 0, True),  # superseded below by a failing copy
        _record("c1", 1, True),
        _record("c1", 2, True),
        _record("c2", 0, True),
        _record("c3", 0, False),
        _record("c3", 1, True, judge_failed=True),  # not graded
        _record("c1", 0, False),
    ]
    with RecordWriter(tmp_path) as writer:
        for record in records:
            writer.write(record)
    (totals,) = run_totals(tmp_path).adapters
    (summary,) = summarize_run(tmp_path).adapters
    assert (totals.cases, totals.records) == (summary.cases, summary.requests) == (3, 6)
    expected = (2 / 3 + 1 + 0) / 3
    assert totals.pass_rate == pytest.approx(expected)
    assert summary.pass_rate == pytest.approx(expected)
