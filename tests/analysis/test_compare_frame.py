"""records_frame: one row per counted record, the contract's columns, errors and timings honest."""

from __future__ import annotations

import math

import pytest

from harness.analysis.paired.frame import (
    BASE_COLUMNS,
    metric_directions,
    records_frame,
    score_metrics,
)
from harness.records import CaseRecord, ErrorInfo, MetricResult, Timing


def _record(case_id: str, **changes: object) -> CaseRecord:
    fields: dict[str, object] = {
        "run_id": "r",
        "case_id": case_id,
        "adapter": "v1",
        "prompt": "p",
        "output": "o",
        "passed": True,
        "latency_ms": 100.0,
        "ttft_ms": 20.0,
        "tokens_per_s": 40.0,
        "timing_source": "measured",
        "timing": Timing(sent_ns=0, end_ns=1, latency_ms=100.0, itl_mean_ms=5.0),
        "started_at": "2026-01-01T00:00:00Z",
    }
    fields.update(changes)
    return CaseRecord.model_validate(fields)


def test_columns_and_types() -> None:
    frame = records_frame(
        [
            _record("a", expectations=[MetricResult(name="rouge_l", passed=True, score=0.25)]),
            _record("b", repeat=1, passed=False, streaming_emulated=True),
        ]
    )
    assert list(frame.columns) == [*BASE_COLUMNS, "score:rouge_l"]
    assert frame["case_id"].tolist() == ["a", "b"]
    assert frame["repeat"].tolist() == [0, 1]
    assert frame["passed"].tolist() == [True, False]
    assert frame["ttft_emulated"].tolist() == [False, True]
    assert frame["itl_ms"].tolist() == [5.0, 5.0]
    assert frame["latency_ms"].dtype == "float64"
    assert frame["score:rouge_l"].iloc[0] == 0.25
    assert math.isnan(frame["score:rouge_l"].iloc[1])
    assert score_metrics(frame) == ["rouge_l"]


def test_scores_average_per_metric_and_skip_unmeasured() -> None:
    frame = records_frame(
        [
            _record(
                "a",
                expectations=[
                    MetricResult(name="token_f1", passed=True, score=0.2),
                    MetricResult(name="token_f1", passed=True, score=0.6),
                    MetricResult(name="max_latency_ms", passed=True, score=1.0, measured=False),
                ],
            )
        ]
    )
    assert frame["score:token_f1"].iloc[0] == pytest.approx(0.4)
    assert "score:max_latency_ms" not in frame.columns


def test_adapter_error_is_a_failure_without_timings() -> None:
    errored = _record("a", passed=False, output=None, error=ErrorInfo(type="Timeout", message="t"))
    row = records_frame([errored]).iloc[0]
    assert bool(row["errored"]) and not bool(row["missing"]) and not bool(row["passed"])
    assert all(math.isnan(row[c]) for c in ("latency_ms", "ttft_ms", "itl_ms", "tokens_per_s"))


def test_judge_error_is_missing_not_errored() -> None:
    error = ErrorInfo.model_validate({"type": "JudgeError", "message": "x", "origin": "judge"})
    if getattr(error, "origin", "adapter") != "judge":
        pytest.skip("ErrorInfo.origin has not landed yet")
    row = records_frame([_record("a", passed=False, error=error)]).iloc[0]
    assert bool(row["missing"]) and not bool(row["errored"])
    assert row["latency_ms"] == 100.0  # the adapter answered: its time is real


@pytest.mark.parametrize(
    ("changes", "measured"),
    [
        ({"cached": True, "timing_source": None}, False),
        ({"replayed": True, "timing_source": "recorded"}, False),
        ({"replayed": True, "timing_source": "replayed"}, True),
        ({"timing_source": None}, True),  # a record older than timing_source
    ],
)
def test_unmeasured_timings_are_nan(changes: dict[str, object], measured: bool) -> None:
    row = records_frame([_record("a", **changes)]).iloc[0]
    assert (not math.isnan(row["latency_ms"])) is measured
    assert (not math.isnan(row["tokens_per_s"])) is measured


def test_a_key_seen_twice_keeps_the_later_record_at_the_first_position() -> None:
    frame = records_frame(
        [_record("a", passed=False), _record("b"), _record("a", passed=True, latency_ms=7.0)]
    )
    assert frame["case_id"].tolist() == ["a", "b"]
    assert frame["passed"].tolist() == [True, True]
    assert frame["latency_ms"].tolist() == [7.0, 100.0]


def test_cluster_column() -> None:
    frame = records_frame([_record("a", cluster="doc-1"), _record("b")])
    assert frame["cluster"].tolist() == ["doc-1", None]


def test_metric_directions_from_the_registry() -> None:
    records = [
        _record(
            "a",
            expectations=[
                MetricResult(name="rouge_l", passed=True, score=0.5),
                MetricResult(name="max_latency_ms", passed=True, score=1.0),
                MetricResult(name="contains", passed=True),  # no score: not a figure
            ],
        )
    ]
    assert metric_directions(records) == {"max_latency_ms": False, "rouge_l": True}
    assert metric_directions(["no-such-metric"]) == {"no-such-metric": True}
