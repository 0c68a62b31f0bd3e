"""Checks on structured output: JSON validity, JSON Schema, JSON paths, numbers and ranges."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from pydantic import Field, JsonValue, PrivateAttr, field_validator, model_validator

from harness.metrics.base import MetricDef, MetricOptions, Observation, metrics, preview
from harness.records import MetricResult

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "InRangeOptions",
    "IsNumberOptions",
    "JsonPathOptions",
    "JsonSchemaOptions",
    "JsonValidOptions",
    "find_json_path",
    "parse_json_path",
]


def _result(name: str, ok: bool, reason: str) -> MetricResult:
    return MetricResult(name=name, passed=ok, score=float(ok), reason="" if ok else reason)


def _clip(text: str, limit: int = 160) -> str:
    flat = text.replace("\n", " ")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _json_preview(value: Any) -> str:
    return _clip(json.dumps(value, ensure_ascii=False, default=str), 80)


# --- json_valid ---------------------------------------------------------------------------------


def _null_is_true(v: Any) -> Any:
    # `- json_valid:` (YAML null) reads as "yes, check it", like `- json_valid: true`
    return True if v is None else v


class JsonValidOptions(MetricOptions):
    value: bool = Field(default=True, description="true: the output must parse as JSON")
    strip_code_fence: bool = Field(
        default=True, description="Accept JSON wrapped in a ```json fenced block"
    )

    _value = field_validator("value", mode="before")(_null_is_true)


def _strip_fence(text: str) -> str:
    t = text.strip()
    if t.startswith("```") and t.endswith("```"):
        t = t[3:-3]
        first, _, rest = t.partition("\n")
        return rest if first.strip().isalpha() or not first.strip() else t
    return t


def _parse_json(text: str, strip_code_fence: bool) -> tuple[bool, Any, str]:
    """(parsed?, value, why not)."""
    try:
        return True, json.loads(_strip_fence(text) if strip_code_fence else text), ""
    except ValueError as exc:
        return False, None, str(exc)


def _json_valid(o: JsonValidOptions, obs: Observation) -> MetricResult:
    parsed, _, why = _parse_json(obs.output, o.strip_code_fence)
    ok = parsed == o.value
    if o.value:
        reason = f"expected valid JSON; {why}; got {preview(obs.output)}"
    else:
        reason = f"expected output that is not JSON; got {preview(obs.output)}"
    return _result("json_valid", ok, reason)


# --- json_schema --------------------------------------------------------------------------------


def _validator_class(schema: dict[str, Any] | bool) -> type[Validator]:
    # jsonschema takes ~0.1 s to import: only suites that use json_schema pay for it
    from jsonschema.validators import Draft202012Validator, validator_for

    if isinstance(schema, dict) and "$schema" in schema:
        cls: type[Validator] | None = validator_for(schema, default=None)
        if cls is None:
            raise ValueError(f"unknown '$schema' {schema['$schema']!r}")
        return cls
    return Draft202012Validator  # type: ignore[no-any-return]


class JsonSchemaOptions(MetricOptions):
    schema_: dict[str, Any] | bool = Field(
        alias="schema",
        description="An inline JSON Schema; draft 2020-12 unless '$schema' names another draft; "
        "a $ref may point inside the schema only (nothing is fetched)",
    )
    strip_code_fence: bool = Field(
        default=True, description="Accept JSON wrapped in a ```json fenced block"
    )
    _validator: Validator | None = PrivateAttr(default=None)

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, v: dict[str, Any] | bool) -> dict[str, Any] | bool:
        from jsonschema import SchemaError

        try:
            _validator_class(v).check_schema(v)
        except SchemaError as exc:
            raise ValueError(
                f"invalid JSON schema: at {exc.json_path}: {_clip(exc.message)}"
            ) from None
        return v

    def validator(self) -> Validator:
        """The compiled validator, built once per options object."""
        if self._validator is None:
            self._validator = _validator_class(self.schema_)(self.schema_)
        return self._validator


def _json_schema(o: JsonSchemaOptions, obs: Observation) -> MetricResult:
    from jsonschema.exceptions import best_match

    parsed, value, why = _parse_json(obs.output, o.strip_code_fence)
    if not parsed:
        return _result(
            "json_schema",
            False,
            f"expected JSON matching the schema; not JSON: {why}; got {preview(obs.output)}",
        )
    from referencing.exceptions import Unresolvable

    try:
        error = best_match(o.validator().iter_errors(value))
    except Unresolvable as exc:  # remote $refs are never fetched
        return _result("json_schema", False, f"the schema's $ref cannot be resolved: {exc}")
    if error is None:
        return _result("json_schema", True, "")
    return _result(
        "json_schema",
        False,
        f"expected JSON matching the schema; at {error.json_path}: {_clip(error.message)}",
    )


# --- json_path ----------------------------------------------------------------------------------

_SEGMENT = re.compile(
    r"""
      \.(?P<name>[^\W\d]\w*)                        # .key
    | \[\s*(?P<index>-?\d+)\s*\]                    # [0], [-1]
    | \[\s*'(?P<single>(?:[^'\\]|\\.)*)'\s*\]       # ['key']
    | \[\s*"(?P<double>(?:[^"\\]|\\.)*)"\s*\]       # ["key"]
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")
_SUBSET = "$, .key, ['key'] and [index]"


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """Parse the supported JSONPath subset into keys (str) and array indexes (int).

    ``$`` is the root; ``.key`` takes a member whose name is a letter or ``_`` followed by
    letters, digits or ``_``; ``['key']`` / ``["key"]`` take any member name (a backslash
    escapes the next character); ``[n]`` takes an array item, negative ``n`` counting from the
    end. Wildcards, slices, filters and ``..`` are not supported. Raises ValueError.
    """
    if not path.startswith("$"):
        raise ValueError(f"malformed JSON path {path!r}: it must start with '$'")
    segments: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise ValueError(
                f"malformed JSON path {path!r} at position {pos} ({path[pos : pos + 12]!r}); "
                f"supported: {_SUBSET}"
            )
        if m["name"] is not None:
            segments.append(m["name"])
        elif m["index"] is not None:
            segments.append(int(m["index"]))
        else:
            quoted = m["single"] if m["single"] is not None else m["double"]
            segments.append(_ESCAPE.sub(r"\1", quoted))
        pos = m.end()
    return tuple(segments)


def _render_path(segments: tuple[str | int, ...]) -> str:
    out = "$"
    for s in segments:
        if isinstance(s, int):
            out += f"[{s}]"
        elif re.fullmatch(r"[^\W\d]\w*", s):
            out += f".{s}"
        else:
            out += "['" + s.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _json_preview(value)


def find_json_path(doc: Any, segments: tuple[str | int, ...]) -> tuple[bool, Any, str]:
    """Follow ``segments`` into a parsed JSON document: (found?, value, why not)."""
    node = doc
    for i, seg in enumerate(segments):
        where = _render_path(segments[:i])
        if isinstance(seg, int):
            if not isinstance(node, list):
                return False, None, f"{where} is {_kind(node)}, not an array"
            if not -len(node) <= seg < len(node):
                return False, None, f"{where} has {len(node)} items, no index {seg}"
            node = node[seg]
        else:
            if not isinstance(node, dict):
                return False, None, f"{where} is {_kind(node)}, not an object"
            if seg not in node:
                keys = ", ".join(repr(k) for k in list(node)[:10])
                more = ", …" if len(node) > 10 else ""
                return False, None, f"{where} has no key {seg!r} (keys: {keys}{more})"
            node = node[seg]
    return True, node, ""


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers compare by value, but true is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


class JsonPathOptions(MetricOptions):
    path: str = Field(
        description=f"Where to look, in a JSONPath subset: {_SUBSET} (e.g. $.items[0]['id'])"
    )
    equals: JsonValue = Field(
        default=None,
        description="The JSON value expected at the path; when omitted, the path must exist",
    )
    strip_code_fence: bool = Field(
        default=True, description="Accept JSON wrapped in a ```json fenced block"
    )

    @field_validator("path")
    @classmethod
    def _well_formed(cls, v: str) -> str:
        parse_json_path(v)
        return v

    @property
    def segments(self) -> tuple[str | int, ...]:
        return parse_json_path(self.path)

    @property
    def checks_value(self) -> bool:
        # `equals: null` is a check for null; an absent `equals` only checks the path exists
        return "equals" in self.model_fields_set


def _json_path(o: JsonPathOptions, obs: Observation) -> MetricResult:
    expected = (
        f"expected {o.path} to equal {_json_preview(o.equals)}"
        if o.checks_value
        else f"expected {o.path} to exist"
    )
    parsed, doc, why = _parse_json(obs.output, o.strip_code_fence)
    if not parsed:
        return _result(
            "json_path", False, f"{expected}; not JSON: {why}; got {preview(obs.output)}"
        )
    found, value, why = find_json_path(doc, o.segments)
    if not found:
        return _result("json_path", False, f"{expected}; not found: {why}")
    ok = not o.checks_value or _json_equal(value, o.equals)
    return _result("json_path", ok, f"{expected}; found {_json_preview(value)}")


# --- is_number, in_range ------------------------------------------------------------------------

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_STRICT_NUMBER = re.compile(_NUMBER)
_INTEGER = re.compile(r"[+-]?\d+")
_ANY_NUMBER = re.compile(rf"(?<![\w.]){_NUMBER}")


def _strict_number(text: str) -> float | None:
    """The number the whole (stripped) output is, or None: no thousands separators, no units."""
    t = text.strip()
    return float(t) if _STRICT_NUMBER.fullmatch(t) else None


class IsNumberOptions(MetricOptions):
    value: bool = Field(default=True, description="true: the output must be a number")
    integer: bool = Field(default=False, description="Only an integer counts (no '.', no 'e')")

    _value = field_validator("value", mode="before")(_null_is_true)


def _is_number(o: IsNumberOptions, obs: Observation) -> MetricResult:
    pattern = _INTEGER if o.integer else _STRICT_NUMBER
    is_number = pattern.fullmatch(obs.output.strip()) is not None
    what = "an integer" if o.integer else "a number"
    ok = is_number == o.value
    reason = (
        f"expected the output to be {what}; got {preview(obs.output)}"
        if o.value
        else f"expected output that is not {what}; got {preview(obs.output)}"
    )
    return _result("is_number", ok, reason)


class InRangeOptions(MetricOptions):
    min: float | None = Field(
        default=None, allow_inf_nan=False, description="Lowest accepted value (inclusive)"
    )
    max: float | None = Field(
        default=None, allow_inf_nan=False, description="Highest accepted value (inclusive)"
    )
    extract: bool = Field(
        default=False,
        description="Use the first number found anywhere in the output; by default the whole "
        "output must be a number, as is_number checks",
    )

    @model_validator(mode="after")
    def _bounds(self) -> InRangeOptions:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"in [{self.min:g}, {self.max:g}]"
        return f">= {self.min:g}" if self.min is not None else f"<= {self.max:g}"


def _in_range(o: InRangeOptions, obs: Observation) -> MetricResult:
    expected = f"expected a number {o.describe()}"
    if o.extract:
        m = _ANY_NUMBER.search(obs.output)
        number = float(m[0]) if m else None
    else:
        number = _strict_number(obs.output)
    if number is None or math.isnan(number):
        where = "no number in the output" if o.extract else "the output is not a number"
        return _result("in_range", False, f"{expected}; {where}: {preview(obs.output)}")
    ok = (o.min is None or number >= o.min) and (o.max is None or number <= o.max)
    return _result("in_range", ok, f"{expected}; got {number:g}")


# --- registration -------------------------------------------------------------------------------


def _register(*defs: MetricDef[Any]) -> None:
    for d in defs:
        metrics.add(d.name, d)


_register(
    MetricDef("json_valid", JsonValidOptions, _json_valid, "output parses as JSON"),
    MetricDef(
        "json_schema",
        JsonSchemaOptions,
        _json_schema,
        "output is JSON valid against the inline schema",
        shorthand="schema",
    ),
    MetricDef(
        "json_path",
        JsonPathOptions,
        _json_path,
        "the value at a JSON path of the output exists or equals the given value",
        shorthand="path",
    ),
    MetricDef("is_number", IsNumberOptions, _is_number, "the whole output is a number"),
    MetricDef(
        "in_range",
        InRangeOptions,
        _in_range,
        "the number in the output is between min and max (inclusive)",
        shorthand=None,
    ),
)
