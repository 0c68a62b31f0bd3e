"""Numbers in the run summary: counts, Wilson intervals, percentiles, McNemar, verdicts."""

from __future__ import annotations

import math

import pytest

from harness.analysis import (
    compare_pair,
    format_p_value,
    mcnemar_exact_p,
    summarize_run,
    wilson_interval,
)
from harness.errors import HarnessError


# Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, no CC).
@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (8, 10, 0.4902, 0.9433),
    ],
)
def test_wilson_interval_matches_published_values(successes, trials, low, high):
    got = wilson_interval(successes, trials)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_is_exact_at_the_edges():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


@pytest.mark.parametrize(
    ("a_only", "b_only", "expected"),
    [
        (1, 7, 18 / 256),  # 2 * (C(8,0) + C(8,1)) / 2**8, by hand
        (0, 6, 2 / 64),
        (7, 1, 18 / 256),
        (3, 3, 1.0),
        (0, 0, 1.0),
        (0, 1, 1.0),
    ],
)
def test_mcnemar_exact_p_hand_computed(a_only, b_only, expected):
    assert mcnemar_exact_p(a_only, b_only) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("a_only", "b_only"), [(2, 9), (10, 25), (40, 41), (0, 60)])
def test_mcnemar_exact_p_equals_binomial_tail_from_math_comb(a_only, b_only):
    n = a_only + b_only
    tail = sum(math.comb(n, k) for k in range(min(a_only, b_only) + 1))
    assert mcnemar_exact_p(a_only, b_only) == pytest.approx(min(1.0, 2 * tail / 2**n))


def test_mcnemar_is_fast_and_finite_for_large_runs():
    assert 0.0 <= mcnemar_exact_p(4000, 6000) < 1e-80
    assert mcnemar_exact_p(5000, 5000) == 1.0


def test_format_p_value():
    assert format_p_value(0.03125) == "p=0.031"
    assert format_p_value(0.0703125) == "p=0.07"
    assert format_p_value(0.0001) == "p<0.001"


def test_adapter_counts_and_pass_rates(comparison_run):
    summary = summarize_run(comparison_run)
    assert summary.adapter_names == ["support-bot-v1", "support-bot-v2"]
    v1, v2 = summary.adapters
    assert (v1.cases, v1.passed, v1.failed, v1.errored) == (12, 4, 8, 1)
    assert (v2.cases, v2.passed, v2.failed, v2.errored) == (12, 10, 2, 0)
    assert v1.pass_rate == pytest.approx(4 / 12)
    assert v1.pass_rate_ci == pytest.approx((0.1381, 0.6094), abs=5e-5)
    assert v2.pass_rate_ci == pytest.approx((0.5520, 0.9530), abs=5e-5)
    assert v1.info is not None and v1.info.options == {"max_tokens": 200, "temperature": 0.0}


def test_latency_percentiles_exclude_errored_records(comparison_run):
    v1, v2 = summarize_run(comparison_run).adapters
    # v1: 100..1100 ms over 11 non-errored records; linear interpolation between ranks.
    assert v1.latency_ms is not None
    assert v1.latency_ms.count == 11
    assert v1.latency_ms.mean == pytest.approx(600.0)
    assert v1.latency_ms.p50 == pytest.approx(600.0)
    assert v1.latency_ms.p90 == pytest.approx(1000.0)
    assert v1.latency_ms.p99 == pytest.approx(1090.0)
    assert v1.latency_ms.max == pytest.approx(1100.0)
    assert 1200.0 not in v1.latency_samples_ms
    # v2: 10..120 ms over 12 records.
    assert v2.latency_ms is not None
    assert (v2.latency_ms.p50, v2.latency_ms.p90) == pytest.approx((65.0, 109.0))
    assert v2.latency_ms.p99 == pytest.approx(118.9)


def test_ttft_percentiles_and_emulation(comparison_run):
    v1, v2 = summarize_run(comparison_run).adapters
    assert v1.ttft_ms is not None and (v1.ttft_ms.p50, v1.ttft_ms.p90) == pytest.approx((60, 100))
    assert not v1.ttft_emulated
    assert v2.ttft_emulated and v2.ttft_emulated_cases == 12 and not v2.ttft_partly_emulated


def test_partly_emulated_ttft(make_run, make_record):
    run = make_run(
        [
            make_record("a", "x", ttft_ms=5.0, emulated=True),
            make_record("b", "x", ttft_ms=7.0, emulated=False),
        ]
    )
    (x,) = summarize_run(run).adapters
    assert not x.ttft_emulated
    assert x.ttft_partly_emulated and x.ttft_emulated_cases == 1


def test_expectation_pass_rates(comparison_run):
    v1, v2 = summarize_run(comparison_run).adapters
    # c11 errored on v1: no expectations were evaluated for it.
    assert [(e.name, e.passed, e.total) for e in v1.expectations] == [("contains", 4, 11)]
    assert [(e.name, e.passed, e.total) for e in v2.expectations] == [("contains", 10, 12)]


def test_side_by_side_table(comparison_run):
    summary = summarize_run(comparison_run)
    rows = {row.case_id: row.outcomes for row in summary.cases}
    assert list(rows) == [f"c{i:02d}" for i in range(12)]
    assert rows["c00"] == {"support-bot-v1": "pass", "support-bot-v2": "pass"}
    assert rows["c03"] == {"support-bot-v1": "pass", "support-bot-v2": "fail"}
    assert rows["c11"] == {"support-bot-v1": "error", "support-bot-v2": "fail"}
    assert [row.case_id for row in summary.cases if row.differs][:2] == ["c03", "c04"]


def test_paired_comparison_and_verdict(comparison_run):
    (pair,) = summarize_run(comparison_run).comparisons
    assert (pair.adapter_a, pair.adapter_b) == ("support-bot-v1", "support-bot-v2")
    assert pair.shared_cases == 12
    assert (pair.both_passed, pair.both_failed) == (3, 1)
    assert (pair.a_passed_b_failed, pair.b_passed_a_failed) == (1, 7)
    assert pair.p_value == pytest.approx(18 / 256)
    assert pair.verdict == (
        "support-bot-v2 passes 6 more cases than support-bot-v1 (7 vs 1 of the 8 cases where "
        "they disagree, out of 12 shared); the difference could be chance (p=0.07)."
    )


def test_verdict_when_unlikely_to_be_chance():
    a = {f"c{i}": False for i in range(10)}
    b = {f"c{i}": i < 6 for i in range(10)}
    pair = compare_pair("v1", "v2", a, b)
    assert pair.significant
    assert "v2 passes 6 more cases than v1" in pair.verdict
    assert pair.verdict.endswith("the difference is unlikely to be chance (p=0.031).")


def test_comparison_uses_only_cases_both_ran():
    pair = compare_pair(
        "v1", "v2", {"a": True, "b": False, "only-v1": True}, {"a": True, "b": True}
    )
    assert pair.shared_cases == 2 and pair.b_passed_a_failed == 1
    assert "1 more case than" in pair.verdict
    assert compare_pair("v1", "v2", {"a": True}, {"b": True}).verdict.endswith(
        "nothing to compare."
    )
    assert "agree on all 1 case" in compare_pair("v1", "v2", {"a": True}, {"a": True}).verdict


def test_failures_keep_error_and_reasons(comparison_run):
    failures = {(f.adapter, f.case_id): f for f in summarize_run(comparison_run).failures}
    assert len(failures) == 8 + 2
    err = failures[("support-bot-v1", "c11")]
    assert err.outcome == "error" and err.output is None
    assert err.error == "RequestTimeoutError: no reply within 30 s"
    fail = failures[("support-bot-v2", "c03")]
    assert fail.outcome == "fail"
    assert fail.reasons == ("contains: expected output to contain 'refund'; missing: ['refund']",)
    assert fail.output == "<script>alert(1)</script> | pipe\nsecond line"


def test_adapter_with_every_request_errored(make_run, make_record):
    from harness.records import ErrorInfo

    boom = ErrorInfo(type="ServerError", message="upstream 503", status=503)
    run = make_run(
        [
            make_record("a", "ok-bot"),
            make_record("a", "dead-bot", output=None, latency_ms=None, error=boom),
        ]
    )
    ok, dead = summarize_run(run).adapters
    assert (dead.cases, dead.passed, dead.failed, dead.errored) == (1, 0, 1, 1)
    assert dead.latency_ms is None and dead.ttft_ms is None
    assert dead.latency_samples_ms == () and dead.expectations == ()
    assert summarize_run(run).failures[-1].error == "ServerError: upstream 503 (HTTP 503)"


def test_adapter_in_manifest_without_records(make_run, make_record):
    from harness.records import AdapterInfo

    infos = [AdapterInfo(name=n, type="scripted", model="m") for n in ("x", "never-ran")]
    run = make_run([make_record("a", "x")], infos)
    summary = summarize_run(run)
    never = summary.adapter("never-ran")
    assert never.cases == 0 and never.pass_rate is None and never.pass_rate_ci is None
    assert summary.comparisons[0].shared_cases == 0


def test_torn_last_line_is_ignored(comparison_run):
    with (comparison_run / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"run_id": "x", "case_id": "c99", "adapter": "support-b')
    summary = summarize_run(comparison_run)
    assert summary.records_read == 24
    assert "c99" not in {row.case_id for row in summary.cases}


def test_a_later_record_for_the_same_case_wins(make_run, make_record):
    run = make_run(
        [
            make_record("a", "x", passed=False),
            make_record("b", "x"),
            make_record("a", "x", passed=True, latency_ms=50.0),
        ]
    )
    summary = summarize_run(run)
    (x,) = summary.adapters
    assert (x.cases, x.passed, summary.superseded_records) == (2, 2, 1)
    assert summary.failures == ()
    assert [row.case_id for row in summary.cases] == ["a", "b"]  # first appearance


def test_not_a_run_folder(tmp_path):
    with pytest.raises(HarnessError, match="not a run folder"):
        summarize_run(tmp_path)
