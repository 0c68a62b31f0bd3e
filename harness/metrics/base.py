"""The metric protocol: a registered check with typed options that scores one output."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from harness.records import MetricResult
from harness.registry import Registry

__all__ = [
    "Expectation",
    "JudgeContext",
    "JudgeError",
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

    weight: float = Field(
        default=1.0, ge=0, description="Weight of this expectation in a 'weighted' pass rule"
    )


@dataclass(frozen=True)
class Observation:
    """What a metric may look at: the case, the output and the request's measurements.

    ``streaming_emulated`` is True when the adapter sent its whole reply in one chunk, so
    ``ttft_ms`` is not a true time to first token.
    """

    output: str
    prompt: str = ""
    case_id: str = ""
    vars: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    latency_ms: float | None = None
    ttft_ms: float | None = None
    streaming_emulated: bool = False
    output_tokens: int | None = None
    adapter: str = ""


class JudgeContext(Protocol):
    """What an LLM-as-judge metric may use: another adapter of the suite, by name."""

    async def complete(self, adapter: str, prompt: str) -> str:
        """The judge adapter's completion of ``prompt`` (cached by the runner).

        Raises:
            JudgeError: the judge adapter could not answer (after the runner's retries).
        """
        ...


class JudgeError(Exception):
    """A judge adapter could not answer: the case is not graded, which is not a failed case.

    Raised through an llm_judge expectation to the runner, which records the case as errored
    with the judge's error (``ErrorInfo.origin`` "judge") and keeps the candidate's output.
    ``cause`` is what the judge adapter raised last; ``attempts`` how many requests were sent.
    """

    def __init__(self, adapter: str, cause: BaseException, attempts: int = 1) -> None:
        self.adapter = adapter
        self.cause = cause
        self.attempts = attempts
        super().__init__(
            f"judge {adapter!r} could not answer "
            f"({attempts} attempt{'s' if attempts != 1 else ''}): "
            f"{type(cause).__name__}: {cause}"
        )


@dataclass(frozen=True)
class MetricDef(Generic[OptionsT]):
    """A metric: its options model, its check, and metadata used by loaders and comparisons.

    ``shorthand`` names the option a bare scalar fills (``- contains: Paris``).
    ``higher_is_better`` tells comparisons which direction of the score is a regression.
    ``supports_threshold``: the options carry a pass threshold on a 0..1 (or raw) score.
    A ``needs_judge`` metric is evaluated by ``evaluate_async`` with a JudgeContext instead;
    ``evaluate`` is then never called. ``warm_up``: the runner may call ``evaluate`` once on an
    empty output before the clock starts, so lazy imports (ROUGE, tokenizers, embedding models)
    do not stall the event loop in the middle of a timed run. ``measures_timing``: the metric
    bounds the request's own timing, so on a reply whose time this run did not measure
    (replayed without its timing, or cached) the runner scores it "not measured".
    """

    name: str
    options: type[OptionsT]
    evaluate: Callable[[OptionsT, Observation], MetricResult]
    description: str
    shorthand: str | None = "value"
    higher_is_better: bool = True
    supports_threshold: bool = False
    needs_judge: bool = False
    warm_up: bool = True
    measures_timing: bool = False
    evaluate_async: (
        Callable[[OptionsT, Observation, JudgeContext], Awaitable[MetricResult]] | None
    ) = None

    def judge_adapters(self, options: OptionsT) -> tuple[str, ...]:
        """Names of the suite adapters this metric calls (checked at load time)."""
        judge = getattr(options, "judge", None)
        return (judge,) if isinstance(judge, str) else ()


metrics: Registry[MetricDef[Any]] = Registry("metric", "harness.metrics")


@dataclass(frozen=True)
class Expectation:
    """One expectation of a case: a metric and its validated options."""

    metric: MetricDef[Any]
    options: MetricOptions

    def evaluate(self, obs: Observation) -> MetricResult:
        return self.metric.evaluate(self.options, obs)

    async def evaluate_async(self, obs: Observation, judge: JudgeContext) -> MetricResult:
        if self.metric.evaluate_async is not None:
            return await self.metric.evaluate_async(self.options, obs, judge)
        return self.metric.evaluate(self.options, obs)

    @property
    def weight(self) -> float:
        return self.options.weight


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
    """A short, quoted, single-line rendering of model output for failure reasons."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
