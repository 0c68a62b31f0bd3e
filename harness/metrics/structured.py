"""Checks on structured output: JSON validity."""

from __future__ import annotations

import json

from pydantic import Field

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics, preview
from harness.records import MetricResult

__all__ = ["JsonValidOptions"]


class JsonValidOptions(MetricOptions):
    value: bool = Field(default=True, description="true: the output must parse as JSON")
    strip_code_fence: bool = Field(
        default=True, description="Accept JSON wrapped in a ```json fenced block"
    )


def _strip_fence(text: str) -> str:
    t = text.strip()
    if t.startswith("```") and t.endswith("```"):
        t = t[3:-3]
        first, _, rest = t.partition("\n")
        return rest if first.strip().isalpha() or not first.strip() else t
    return t


def _json_valid(o: JsonValidOptions, obs: Observation) -> MetricResult:
    text = _strip_fence(obs.output) if o.strip_code_fence else obs.output
    try:
        json.loads(text)
        parsed, why = True, ""
    except ValueError as exc:
        parsed, why = False, str(exc)
    ok = parsed == o.value
    if ok:
        reason = ""
    elif o.value:
        reason = f"expected valid JSON; {why}; got {preview(obs.output)}"
    else:
        reason = f"expected output that is not JSON; got {preview(obs.output)}"
    return MetricResult(name="json_valid", passed=ok, score=float(ok), reason=reason)


metrics.add(
    "json_valid", MetricDef("json_valid", JsonValidOptions, _json_valid, "output parses as JSON")
)
