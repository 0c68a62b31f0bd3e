"""Checks on output text: equality, containment, patterns and length bounds."""

from __future__ import annotations

import re
import string

from pydantic import Field, field_validator

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics, preview
from harness.records import MetricResult

__all__ = [
    "ContainsOptions",
    "EqualsOptions",
    "LengthOptions",
    "RegexOptions",
]


class EqualsOptions(MetricOptions):
    value: str = Field(description="The exact text expected")
    ignore_case: bool = Field(default=False, description="Compare case-insensitively")
    strip: bool = Field(default=True, description="Ignore leading and trailing whitespace")
    collapse_whitespace: bool = Field(default=False, description="Treat runs of spaces as one")
    ignore_punctuation: bool = Field(default=False, description="Drop ASCII punctuation")


def _normalise(text: str, o: EqualsOptions) -> str:
    if o.strip:
        text = text.strip()
    if o.collapse_whitespace:
        text = " ".join(text.split())
    if o.ignore_punctuation:
        text = text.translate(str.maketrans("", "", string.punctuation))
    if o.ignore_case:
        text = text.casefold()
    return text


def _equals(o: EqualsOptions, obs: Observation) -> MetricResult:
    ok = _normalise(obs.output, o) == _normalise(o.value, o)
    reason = "" if ok else f"expected output to equal {preview(o.value)}, got {preview(obs.output)}"
    return MetricResult(name="equals", passed=ok, score=float(ok), reason=reason)


class ContainsOptions(MetricOptions):
    value: str = Field(description="The text to look for")
    ignore_case: bool = Field(default=False, description="Match case-insensitively")


def _found(o: ContainsOptions, output: str) -> bool:
    if o.ignore_case:
        return o.value.casefold() in output.casefold()
    return o.value in output


def _contains(o: ContainsOptions, obs: Observation) -> MetricResult:
    ok = _found(o, obs.output)
    reason = "" if ok else f"expected output to contain {o.value!r}; got {preview(obs.output)}"
    return MetricResult(name="contains", passed=ok, score=float(ok), reason=reason)


def _not_contains(o: ContainsOptions, obs: Observation) -> MetricResult:
    ok = not _found(o, obs.output)
    reason = "" if ok else f"expected output not to contain {o.value!r}; got {preview(obs.output)}"
    return MetricResult(name="not_contains", passed=ok, score=float(ok), reason=reason)


class RegexOptions(MetricOptions):
    value: str = Field(description="A Python regular expression searched for in the output")
    ignore_case: bool = Field(default=False, description="Match case-insensitively")
    full_match: bool = Field(default=False, description="The whole output must match")

    @field_validator("value")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {v!r}: {exc}") from None
        return v


def _regex(o: RegexOptions, obs: Observation) -> MetricResult:
    pattern = re.compile(o.value, re.IGNORECASE if o.ignore_case else 0)
    text = obs.output.strip() if o.full_match else obs.output
    ok = (pattern.fullmatch(text) if o.full_match else pattern.search(text)) is not None
    how = "fully match" if o.full_match else "match"
    reason = "" if ok else f"expected output to {how} /{o.value}/; got {preview(obs.output)}"
    return MetricResult(name="regex", passed=ok, score=float(ok), reason=reason)


class LengthOptions(MetricOptions):
    value: int = Field(ge=0, description="The bound, in characters")


def _max_length(o: LengthOptions, obs: Observation) -> MetricResult:
    n = len(obs.output)
    ok = n <= o.value
    reason = "" if ok else f"expected at most {o.value} characters, got {n}"
    return MetricResult(
        name="max_length", passed=ok, score=float(ok), threshold=o.value, reason=reason
    )


def _min_length(o: LengthOptions, obs: Observation) -> MetricResult:
    n = len(obs.output)
    ok = n >= o.value
    reason = "" if ok else f"expected at least {o.value} characters, got {n}"
    return MetricResult(
        name="min_length", passed=ok, score=float(ok), threshold=o.value, reason=reason
    )


metrics.add(
    "equals",
    MetricDef("equals", EqualsOptions, _equals, "output equals the value (optionally normalised)"),
)
metrics.add(
    "contains", MetricDef("contains", ContainsOptions, _contains, "output contains the value")
)
metrics.add(
    "not_contains",
    MetricDef("not_contains", ContainsOptions, _not_contains, "output does not contain the value"),
)
metrics.add(
    "regex", MetricDef("regex", RegexOptions, _regex, "output matches the regular expression")
)
metrics.add(
    "max_length",
    MetricDef("max_length", LengthOptions, _max_length, "output has at most N characters"),
)
metrics.add(
    "min_length",
    MetricDef("min_length", LengthOptions, _min_length, "output has at least N characters"),
)
