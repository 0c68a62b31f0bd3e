"""Records whose judge could not answer (``ErrorInfo.origin`` "judge") are missing, not failed,
in every figure computed from a saved run: with repeats, in the pass rate, the paired test,
flakiness and the console totals. Old records without ``origin`` read as the adapter's errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis.summarize import summarize_run
from harness.analysis.totals import run_totals
from harness.records import AdapterInfo, CaseRecord, ErrorInfo
from tests.durability.support import manifest, record, write_run

JUDGE = ErrorInfo(type="rate_limited", message="judge 'j' could not answer", origin="judge")
ADAPTER = ErrorInfo(type="server_error", message="boom")


def _record(adapter: str, case: str, repeat: int, verdict: str) -> CaseRecord:
    """``verdict``: pass, fail, judge (answered, not graded) or error (the adapter failed)."""
    if verdict == "error":
        return record(case, adapter, repeat, error=ADAPTER)
    answered = record(case, adapter, repeat)
    return answered.model_copy(
        update={"passed": verdict == "pass", "error": JUDGE if verdict == "judge" else None}
    )


# (case, repeat) -> verdict of a and of b
PLAN = {
    ("c1", 0): ("pass", "fail"),
    ("c1", 1): ("judge", "fail"),  # a: c1 passes once, its other repeat is missing
    ("c2", 0): ("judge", "pass"),
    ("c2", 1): ("judge", "pass"),  # a: c2 never graded -> no c2 for a at all
    ("c3", 0): ("pass", "error"),  # b's own error is a failure
    ("c3", 1): ("pass", "error"),
    ("c4", 0): ("pass", "judge"),
    ("c4", 1): ("fail", "judge"),
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    adapters = [AdapterInfo(name=n, type="t", model="m") for n in "ab"]
    adapters.append(AdapterInfo(name="j", type="t", model="m", role="judge"))
    records = [
        _record(adapter, case, repeat, verdict)
        for (case, repeat), verdicts in PLAN.items()
        for adapter, verdict in zip("ab", verdicts, strict=True)
    ]
    return write_run(tmp_path, manifest("r").model_copy(update={"adapters": adapters}), records)


def test_pass_rates_and_the_paired_test_leave_judge_errored_records_out(run_dir: Path) -> None:
    summary = summarize_run(run_dir)
    a, b = summary.adapter("a"), summary.adapter("b")
    # a: c1 1/1 graded, c2 missing, c3 2/2, c4 1/2 -> (1 + 1 + 0.5) / 3 cases
    assert a.distinct_cases == 3 and a.pass_rate == pytest.approx(2.5 / 3)
    assert (a.judge_errored, a.errored) == (3, 0)
    # b: c1 0/2, c2 2/2, c3 0/2 (its own errors are failures), c4 missing
    assert b.distinct_cases == 3 and b.pass_rate == pytest.approx(1 / 3)
    assert (b.judge_errored, b.errored) == (2, 2)
    assert a.latency_ms is not None and a.latency_ms.count == 8  # judge-errored: still timed

    (pair,) = summary.comparisons
    # shared graded cases: c1 (a pass, b fail) and c3 (a pass, b fail); c2 and c4 are missing
    assert pair.shared_cases == 2
    assert (pair.a_passed_b_failed, pair.b_passed_a_failed, pair.both_failed) == (2, 0, 0)
    # a's c4 flipped pass -> fail; a's c1 (pass, then not graded) is no flip
    assert [(f.adapter, f.case_id) for f in summary.flaky] == [("a", "c4")]


def test_console_totals_leave_judge_errored_records_out(run_dir: Path) -> None:
    """The console's figures are the reports' (one definition of what counts)."""
    totals = {t.name: t for t in run_totals(run_dir).adapters}
    a, b = totals["a"], totals["b"]
    assert (a.records, a.passed, a.judge_errored) == (8, 4, 3)
    assert a.pass_rate == pytest.approx(2.5 / 3)
    assert (b.records, b.passed, b.errored, b.judge_errored) == (8, 2, 4, 2)
    assert b.pass_rate == pytest.approx(1 / 3)
    assert len(a.latencies_ms) == 8 and not a.never_answered


def test_an_old_record_without_origin_is_the_adapters_error() -> None:
    old = ErrorInfo.model_validate({"type": "server_error", "message": "boom", "status": 500})
    assert old.origin == "adapter"
    with pytest.raises(ValueError):
        ErrorInfo(type="x", message="y", origin="someone")  # type: ignore[arg-type]


def test_the_live_progress_line_leaves_judge_errored_records_out_of_its_pass_rate() -> None:
    """The plain (CI) progress line: 3 of a's 8 requests were not graded, 4 of 5 passed."""
    import io

    from rich.console import Console

    from harness.cli.progress import RunProgress

    out = io.StringIO()
    progress = RunProgress(["a"], len(PLAN), quiet=False, console=Console(file=out, width=200))
    with progress:
        for (case, repeat), (verdict_a, _) in PLAN.items():
            progress.update(_record("a", case, repeat, verdict_a))
    last = out.getvalue().strip().splitlines()[-1]
    assert "8/8 requests done, pass 80%, errors 3" in last
