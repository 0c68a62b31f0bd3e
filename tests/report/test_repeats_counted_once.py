"""Repeats of a case count once: the paired test and the pass-rate interval are over cases."""

from __future__ import annotations

import pytest

from harness.analysis import summarize_records
from harness.records import AdapterInfo, CaseRecord, MetricResult, RunManifest
from harness.report.content import build_content

A = AdapterInfo(name="model-a", type="echo", model="a")
B = AdapterInfo(name="model-b", type="echo", model="b")
# Per case: does A pass, does B pass. A wins 4 discordant cases, B none; 2 both pass.
VERDICTS = {"c1": (True, False), "c2": (True, False), "c3": (True, False), "c4": (True, False)}
VERDICTS |= {"c5": (True, True), "c6": (True, True), "c7": (False, False)}


def _manifest() -> RunManifest:
    return RunManifest(
        run_id="r",
        suite_name="s",
        suite_path="s.yaml",
        suite_sha256="0" * 64,
        harness_version="0.1.0",
        adapters=[A, B],
        case_count=len(VERDICTS),
        started_at="2026-01-01T12:00:00Z",
    )


def _record(case_id: str, adapter: str, passed: bool, repeat: int) -> CaseRecord:
    return CaseRecord(
        run_id="r",
        case_id=case_id,
        adapter=adapter,
        prompt="p",
        output="o",
        passed=passed,
        expectations=[MetricResult(name="contains", passed=passed)],
        latency_ms=10.0,
        repeat=repeat,
        started_at="2026-01-01T12:00:00Z",
    )


def _records(repeats: int, flip: dict[tuple[str, str, int], bool] | None = None):
    flip = flip or {}
    for case, (a, b) in VERDICTS.items():
        for k in range(repeats):
            yield _record(case, "model-a", flip.get((case, "model-a", k), a), k)
            yield _record(case, "model-b", flip.get((case, "model-b", k), b), k)


def test_deterministic_data_gives_the_same_p_value_and_interval_at_repeat_1_and_3():
    once = summarize_records(_manifest(), _records(1))
    thrice = summarize_records(_manifest(), _records(3))
    (c1,), (c3,) = once.comparisons, thrice.comparisons
    assert c1.p_value == pytest.approx(0.125)  # 4 vs 0 discordant cases: 2 / 2**4
    assert c3.p_value == c1.p_value  # not 2 / 2**12 = 0.00049 (records as cases)
    assert (c3.shared_cases, c3.a_passed_b_failed, c3.b_passed_a_failed) == (7, 4, 0)
    assert c3.verdict == c1.verdict
    for name in ("model-a", "model-b"):
        a1, a3 = once.adapter(name), thrice.adapter(name)
        assert a3.pass_rate == a1.pass_rate
        assert a3.pass_rate_ci == a1.pass_rate_ci
        assert (a1.distinct_cases, a3.distinct_cases) == (7, 7)
        assert (a1.cases, a3.cases) == (7, 7)  # a case is a case id (analysis.counting)
        assert (a1.requests, a3.requests) == (7, 21)  # requests: one per repeat
    assert thrice.adapter("model-a").pass_rate_ci == pytest.approx(
        (0.4869, 0.9743), abs=1e-4
    )  # Wilson 6/7


def test_a_case_passes_the_paired_test_when_it_passes_at_least_half_its_repeats():
    # B passes c1 on 2 of 4 repeats (share 0.5: a pass) and c2 on 1 of 4 (a fail).
    flip = {("c1", "model-b", 0): True, ("c1", "model-b", 1): True}
    flip |= {("c2", "model-b", 3): True}
    summary = summarize_records(_manifest(), _records(4, flip))
    (pair,) = summary.comparisons
    assert (pair.a_passed_b_failed, pair.b_passed_a_failed, pair.both_passed) == (3, 0, 3)
    b = summary.adapter("model-b")
    # Pass rate = mean per-case pass share: (0.5 + 0.25 + 1 + 1) / 7.
    assert b.pass_rate == pytest.approx(2.75 / 7)
    assert (b.distinct_cases, b.cases, b.requests) == (7, 7, 28)


def test_report_states_cases_and_requests_when_cases_are_repeated():
    content = build_content(summarize_records(_manifest(), _records(3)))
    assert content.summary.columns[1:3] == ("Cases", "Requests")
    assert [row[1:3] for row in content.summary.rows] == [("7", "21"), ("7", "21")]
    rate_cells = [row[6] for row in content.summary.rows]
    assert all(", n=" not in cell for cell in rate_cells), rate_cells  # n is the Cases column
    assert any("21 requests over 7 cases" in note for note in content.summary_notes)
    assert any("share >= 0.5" in note for note in content.summary_notes)


def test_report_without_repeats_keeps_the_plain_rate_cell():
    content = build_content(summarize_records(_manifest(), _records(1)))
    assert "Requests" not in content.summary.columns
    assert all(", n=" not in row[5] for row in content.summary.rows)
    assert not any("repeated" in note for note in content.summary_notes)


def test_unequal_repeats_weigh_each_case_once():
    # A resumed run lost repeats: c1 ran 3 times (all fail for B), every other case once.
    records = [r for r in _records(3) if r.case_id == "c1" or r.repeat == 0]
    b = summarize_records(_manifest(), records).adapter("model-b")
    assert (b.cases, b.requests, b.distinct_cases, b.passed) == (7, 9, 7, 2)
    assert b.pass_rate == pytest.approx(2 / 7)  # per case, not 2 / 9 per record
