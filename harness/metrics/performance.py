"""Bounds on a request's measured latency and time to first token.

The values come from the Observation the runner builds from this request's own timestamps,
never from a cache: a cached or replayed output has no latency of its own.

``score`` is None: a bound check has no graded score, and the measurement itself is the
record's ``latency_ms`` / ``ttft_ms``. ``threshold`` is the bound in milliseconds.
``higher_is_better`` is False because the quantity bounded (time) is better lower.
"""

from __future__ import annotations

from pydantic import Field

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics
from harness.records import MetricResult

__all__ = ["LatencyBoundOptions"]


class LatencyBoundOptions(MetricOptions):
    value: float = Field(gt=0, allow_inf_nan=False, description="The bound, in milliseconds")


def _max_latency_ms(o: LatencyBoundOptions, obs: Observation) -> MetricResult:
    name = "max_latency_ms"
    if obs.latency_ms is None:
        return MetricResult(
            name=name,
            passed=False,
            threshold=o.value,
            reason=f"expected a latency of at most {o.value:g} ms; no latency was measured",
        )
    ok = obs.latency_ms <= o.value
    reason = (
        "" if ok else f"expected a latency of at most {o.value:g} ms, got {obs.latency_ms:.1f} ms"
    )
    return MetricResult(name=name, passed=ok, threshold=o.value, reason=reason)


def _max_ttft_ms(o: LatencyBoundOptions, obs: Observation) -> MetricResult:
    name = "max_ttft_ms"
    expected = f"expected a time to first token of at most {o.value:g} ms"
    if obs.ttft_ms is None:
        return MetricResult(
            name=name,
            passed=False,
            threshold=o.value,
            reason=f"{expected}; no first token was measured (the reply had no non-empty chunk)",
        )
    ok = obs.ttft_ms <= o.value
    reason = "" if ok else f"{expected}, got {obs.ttft_ms:.1f} ms"
    if obs.streaming_emulated:
        # said on a pass too: the number is the whole reply's latency, not a first token's
        note = (
            f"TTFT is emulated: the adapter sent its whole reply in one chunk, so "
            f"{obs.ttft_ms:.1f} ms is the full latency"
        )
        reason = f"{reason}; {note}" if reason else note
    return MetricResult(name=name, passed=ok, threshold=o.value, reason=reason)


def _register(*defs: MetricDef[LatencyBoundOptions]) -> None:
    for d in defs:
        metrics.add(d.name, d)


_register(
    MetricDef(
        "max_latency_ms",
        LatencyBoundOptions,
        _max_latency_ms,
        "the request took at most N ms, from sending it to the end of the reply",
        higher_is_better=False,
        supports_threshold=True,
        measures_timing=True,
    ),
    MetricDef(
        "max_ttft_ms",
        LatencyBoundOptions,
        _max_ttft_ms,
        "the first non-empty chunk arrived within N ms (noted when streaming is emulated)",
        higher_is_better=False,
        supports_threshold=True,
        measures_timing=True,
    ),
)
