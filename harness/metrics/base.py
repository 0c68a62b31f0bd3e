"""The metric protocol: a registered check with typed options that scores one output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from harness.records import MetricResult
from harness.registry import Registry

__all__ = [
    "Expectation",
    "MetricDef",
    "MetricOptions",
    "Observation",
    "metrics",
    "parse_expectation",
    "preview",
]

OptionsT = TypeVar("OptionsT", bound="MetricOptions")


class MetricOptions(BaseModel):
    """Base of every metric's options; what a user writes, so unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Observation:
    """What a metric may look at: the output and the request's measurements."""

    output: str
    prompt: str = ""
    latency_ms: float | None = None
    ttft_ms: float | None = None


@dataclass(frozen=True)
class MetricDef(Generic[OptionsT]):
    """A metric: its options model, its check, and metadata used by loaders and comparisons.

    ``shorthand`` names the option a bare scalar fills (``- contains: Paris``).
    ``higher_is_better`` tells comparisons which direction of the score is a regression.
    """

    name: str
    options: type[OptionsT]
    evaluate: Callable[[OptionsT, Observation], MetricResult]
    description: str
    shorthand: str | None = "value"
    higher_is_better: bool = True


metrics: Registry[MetricDef[Any]] = Registry("metric", "harness.metrics")


@dataclass(frozen=True)
class Expectation:
    """One expectation of a case: a metric and its validated options."""

    metric: MetricDef[Any]
    options: MetricOptions

    def evaluate(self, obs: Observation) -> MetricResult:
        return self.metric.evaluate(self.options, obs)


def parse_expectation(raw: Any) -> Expectation:
    """Parse ``{name: value-or-options}``; raises ValueError / KeyError / ValidationError."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(
            "expected a single-key mapping such as '- contains: Paris' or "
            "'- equals: {value: \"4\", ignore_case: true}'"
        )
    ((name, value),) = raw.items()
    metric = metrics.get(str(name))
    if not isinstance(value, dict) or metric.shorthand is None:
        if metric.shorthand is None:
            value = {} if value in (None, True) else value
        else:
            value = {metric.shorthand: value}
    options = metric.options.model_validate(value)
    return Expectation(metric, options)


def preview(text: str, limit: int = 80) -> str:
    """A short, single-line rendering of model output for failure reasons."""
    flat = text.replace("\n", "\\n")
    return repr(flat if len(flat) <= limit else flat[: limit - 3] + "...")
