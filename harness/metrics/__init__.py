"""Expectations and metrics: every way an answer is scored, through one registry."""

from __future__ import annotations

from harness.metrics import custom as _custom  # noqa: F401  (registers built-ins)
from harness.metrics import judge as _judge  # noqa: F401
from harness.metrics import performance as _performance  # noqa: F401
from harness.metrics import reference as _reference  # noqa: F401
from harness.metrics import structured as _structured  # noqa: F401
from harness.metrics import text as _text  # noqa: F401
from harness.metrics.base import (
    Expectation,
    JudgeContext,
    MetricDef,
    MetricOptions,
    Observation,
    metrics,
    parse_expectation,
)

__all__ = [
    "Expectation",
    "JudgeContext",
    "MetricDef",
    "MetricOptions",
    "Observation",
    "metrics",
    "parse_expectation",
]
