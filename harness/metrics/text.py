"""Checks on output text: equality, containment, prefixes, patterns and length bounds."""

from __future__ import annotations

import re
import string
from typing import Any

from pydantic import Field, field_validator

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics, preview
from harness.metrics.tokens import token_counter
from harness.records import MetricResult

__all__ = [
    "ContainsListOptions",
    "ContainsOptions",
    "EqualsOptions",
    "LengthOptions",
    "NormalisationOptions",
    "OneOfOptions",
    "PrefixOptions",
    "RegexOptions",
]


def _result(name: str, ok: bool, reason: str, threshold: float | None = None) -> MetricResult:
    """A pass/fail verdict with score 1/0; the reason is kept only for a failure."""
    return MetricResult(
        name=name, passed=ok, score=float(ok), threshold=threshold, reason="" if ok else reason
    )


class NormalisationOptions(MetricOptions):
    """How output and expected text are normalised before they are compared."""

    ignore_case: bool = Field(default=False, description="Compare case-insensitively")
    strip: bool = Field(default=True, description="Ignore leading and trailing whitespace")
    collapse_whitespace: bool = Field(default=False, description="Treat runs of spaces as one")
    ignore_punctuation: bool = Field(default=False, description="Drop ASCII punctuation")


def _normalise(text: str, o: NormalisationOptions) -> str:
    if o.strip:
        text = text.strip()
    if o.collapse_whitespace:
        text = " ".join(text.split())
    if o.ignore_punctuation:
        text = text.translate(str.maketrans("", "", string.punctuation))
    if o.ignore_case:
        text = text.casefold()
    return text


class EqualsOptions(NormalisationOptions):
    value: str = Field(description="The exact text expected")


def _equals(o: EqualsOptions, obs: Observation) -> MetricResult:
    ok = _normalise(obs.output, o) == _normalise(o.value, o)
    return _result(
        "equals", ok, f"expected output to equal {preview(o.value)}, got {preview(obs.output)}"
    )


class OneOfOptions(NormalisationOptions):
    values: list[str] = Field(
        min_length=1, description="The accepted answers; the output must equal one of them"
    )


def _one_of(o: OneOfOptions, obs: Observation) -> MetricResult:
    out = _normalise(obs.output, o)
    ok = any(out == _normalise(v, o) for v in o.values)
    return _result(
        "one_of",
        ok,
        f"expected output to equal one of {_list_preview(o.values)}, got {preview(obs.output)}",
    )


def _list_preview(values: list[str], limit: int = 8) -> str:
    shown = ", ".join(preview(v, 40) for v in values[:limit])
    more = f", … ({len(values) - limit} more)" if len(values) > limit else ""
    return f"[{shown}{more}]"


class ContainsOptions(MetricOptions):
    value: str = Field(description="The text to look for")
    ignore_case: bool = Field(default=False, description="Match case-insensitively")


def _found(needle: str, output: str, ignore_case: bool) -> bool:
    if ignore_case:
        return needle.casefold() in output.casefold()
    return needle in output


def _contains(o: ContainsOptions, obs: Observation) -> MetricResult:
    ok = _found(o.value, obs.output, o.ignore_case)
    return _result(
        "contains", ok, f"expected output to contain {o.value!r}; got {preview(obs.output)}"
    )


def _not_contains(o: ContainsOptions, obs: Observation) -> MetricResult:
    ok = not _found(o.value, obs.output, o.ignore_case)
    return _result(
        "not_contains",
        ok,
        f"expected output not to contain {o.value!r}; got {preview(obs.output)}",
    )


class ContainsListOptions(MetricOptions):
    values: list[str] = Field(min_length=1, description="The texts to look for")
    ignore_case: bool = Field(default=False, description="Match case-insensitively")


def _contains_any(o: ContainsListOptions, obs: Observation) -> MetricResult:
    ok = any(_found(v, obs.output, o.ignore_case) for v in o.values)
    return _result(
        "contains_any",
        ok,
        f"expected output to contain any of {_list_preview(o.values)}; got {preview(obs.output)}",
    )


def _contains_all(o: ContainsListOptions, obs: Observation) -> MetricResult:
    missing = [v for v in o.values if not _found(v, obs.output, o.ignore_case)]
    ok = not missing
    reason = (
        f"expected output to contain all of {_list_preview(o.values)}; "
        f"missing: {_list_preview(missing)}; got {preview(obs.output)}"
    )
    score = 1 - len(missing) / len(o.values)
    return MetricResult(name="contains_all", passed=ok, score=score, reason="" if ok else reason)


class PrefixOptions(MetricOptions):
    value: str = Field(description="The text the output must start (or end) with")
    ignore_case: bool = Field(default=False, description="Compare case-insensitively")
    strip: bool = Field(
        default=True, description="Ignore whitespace before the output (or after it, for ends_with)"
    )


def _affix(o: PrefixOptions, obs: Observation, *, start: bool) -> MetricResult:
    text, value = obs.output, o.value
    if o.strip:
        text = text.lstrip() if start else text.rstrip()
    if o.ignore_case:
        text, value = text.casefold(), value.casefold()
    ok = text.startswith(value) if start else text.endswith(value)
    name, verb = ("starts_with", "start") if start else ("ends_with", "end")
    return _result(
        name, ok, f"expected output to {verb} with {o.value!r}; got {preview(obs.output)}"
    )


def _starts_with(o: PrefixOptions, obs: Observation) -> MetricResult:
    return _affix(o, obs, start=True)


def _ends_with(o: PrefixOptions, obs: Observation) -> MetricResult:
    return _affix(o, obs, start=False)


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
    return _result("regex", ok, f"expected output to {how} /{o.value}/; got {preview(obs.output)}")


class LengthOptions(MetricOptions):
    value: int = Field(ge=0, description="The bound (characters, words or tokens, per metric)")


def _bound(name: str, n: int, o: LengthOptions, unit: str, *, upper: bool) -> MetricResult:
    ok = n <= o.value if upper else n >= o.value
    reason = f"expected {'at most' if upper else 'at least'} {o.value} {unit}, got {n}"
    return _result(name, ok, reason, threshold=o.value)


def _max_length(o: LengthOptions, obs: Observation) -> MetricResult:
    return _bound("max_length", len(obs.output), o, "characters", upper=True)


def _min_length(o: LengthOptions, obs: Observation) -> MetricResult:
    return _bound("min_length", len(obs.output), o, "characters", upper=False)


def _max_words(o: LengthOptions, obs: Observation) -> MetricResult:
    return _bound("max_words", len(obs.output.split()), o, "words", upper=True)


def _min_words(o: LengthOptions, obs: Observation) -> MetricResult:
    return _bound("min_words", len(obs.output.split()), o, "words", upper=False)


def _tokens(name: str, o: LengthOptions, obs: Observation, *, upper: bool) -> MetricResult:
    counter = token_counter()
    return _bound(name, counter.count(obs.output), o, f"tokens ({counter.name})", upper=upper)


def _max_output_tokens(o: LengthOptions, obs: Observation) -> MetricResult:
    return _tokens("max_output_tokens", o, obs, upper=True)


def _min_output_tokens(o: LengthOptions, obs: Observation) -> MetricResult:
    return _tokens("min_output_tokens", o, obs, upper=False)


_TOKENS_NOTE = "counted with tiktoken cl100k_base (offline), else a regex estimate"


def _register(*defs: MetricDef[Any]) -> None:
    for d in defs:
        metrics.add(d.name, d)


_register(
    MetricDef("equals", EqualsOptions, _equals, "output equals the value (optionally normalised)"),
    MetricDef(
        "one_of",
        OneOfOptions,
        _one_of,
        "output equals one of the values (normalised as equals)",
        shorthand="values",
    ),
    MetricDef("contains", ContainsOptions, _contains, "output contains the value"),
    MetricDef("not_contains", ContainsOptions, _not_contains, "output does not contain the value"),
    MetricDef(
        "contains_any",
        ContainsListOptions,
        _contains_any,
        "output contains at least one of the values",
        shorthand="values",
    ),
    MetricDef(
        "contains_all",
        ContainsListOptions,
        _contains_all,
        "output contains every value; score is the fraction found",
        shorthand="values",
    ),
    MetricDef("starts_with", PrefixOptions, _starts_with, "output starts with the value"),
    MetricDef("ends_with", PrefixOptions, _ends_with, "output ends with the value"),
    MetricDef("regex", RegexOptions, _regex, "output matches the regular expression"),
    MetricDef("max_length", LengthOptions, _max_length, "output has at most N characters"),
    MetricDef("min_length", LengthOptions, _min_length, "output has at least N characters"),
    MetricDef(
        "max_words", LengthOptions, _max_words, "output has at most N whitespace-separated words"
    ),
    MetricDef(
        "min_words", LengthOptions, _min_words, "output has at least N whitespace-separated words"
    ),
    MetricDef(
        "max_output_tokens",
        LengthOptions,
        _max_output_tokens,
        f"output has at most N tokens, {_TOKENS_NOTE}",
    ),
    MetricDef(
        "min_output_tokens",
        LengthOptions,
        _min_output_tokens,
        f"output has at least N tokens, {_TOKENS_NOTE}",
    ),
)
