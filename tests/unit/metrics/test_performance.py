"""Latency and TTFT bounds read from the Observation."""

from __future__ import annotations

from typing import Any

import pytest

from harness.metrics import Observation, metrics, parse_expectation


def run(raw: dict[str, Any], **obs: Any) -> Any:
    return parse_expectation(raw).evaluate(Observation(output="x", **obs))


@pytest.mark.parametrize(
    ("raw", "obs", "passed", "reason"),
    [
        ({"max_latency_ms": 500}, {"latency_ms": 499.9}, True, ""),
        ({"max_latency_ms": 500}, {"latency_ms": 500.0}, True, ""),
        (
            {"max_latency_ms": 500},
            {"latency_ms": 730.25},
            False,
            "expected a latency of at most 500 ms, got 730.2 ms",
        ),
        (
            {"max_latency_ms": {"value": 500}},
            {},
            False,
            "expected a latency of at most 500 ms; no latency was measured",
        ),
        ({"max_ttft_ms": 300}, {"ttft_ms": 120.0}, True, ""),
        (
            {"max_ttft_ms": 300},
            {"ttft_ms": 301.0},
            False,
            "expected a time to first token of at most 300 ms, got 301.0 ms",
        ),
        (
            {"max_ttft_ms": 300},
            {"latency_ms": 40.0},
            False,
            "expected a time to first token of at most 300 ms; no first token was measured "
            "(the reply had no non-empty chunk)",
        ),
        (
            {"max_ttft_ms": 300},
            {"ttft_ms": 120.0, "streaming_emulated": True},
            True,
            "TTFT is emulated: the adapter sent its whole reply in one chunk, so 120.0 ms is "
            "the full latency",
        ),
        (
            {"max_ttft_ms": 100},
            {"ttft_ms": 120.0, "streaming_emulated": True},
            False,
            "expected a time to first token of at most 100 ms, got 120.0 ms; TTFT is emulated: "
            "the adapter sent its whole reply in one chunk, so 120.0 ms is the full latency",
        ),
    ],
)
def test_bounds(raw: dict[str, Any], obs: dict[str, Any], passed: bool, reason: str) -> None:
    r = run(raw, **obs)
    assert r.passed is passed
    assert r.reason == reason
    assert r.score is None
    (bound,) = raw.values()
    assert r.threshold == (bound["value"] if isinstance(bound, dict) else bound)


def test_latency_is_not_taken_from_the_ttft_or_vice_versa() -> None:
    assert not run({"max_latency_ms": 10}, ttft_ms=1.0).passed
    assert not run({"max_ttft_ms": 10}, latency_ms=1.0).passed


@pytest.mark.parametrize("name", ["max_latency_ms", "max_ttft_ms"])
def test_metadata(name: str) -> None:
    metric = metrics.get(name)
    assert metric.higher_is_better is False
    assert metric.supports_threshold is True
    assert metric.shorthand == "value"
