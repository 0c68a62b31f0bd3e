"""The Gradient API's completion body and answers as plain JSON, checked without the SDK.

Each function accepts a subset of what the ``gradientai`` SDK's pydantic-v1 model accepts and
yields what the SDK would (the same dict, key order included). Anything outside that subset
returns None, and the caller asks the SDK itself, so unusual values keep the SDK's exact result
or error. This keeps ``import gradientai`` (~0.5 s) off the async path's first request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["base_model_ids", "body_json", "completion_fields", "is_model_adapter"]

#: The SDK's ``constr(min_length=50, max_length=50)`` for every model id.
_ID_LENGTH = 50
#: Completion parameters (the SDK's field names) → JSON keys, in the SDK model's field order
#: (``query`` and the unused ``rag`` sit between them).
_NUMBERS = (("temperature", "temperature"), ("top_k", "topK"), ("top_p", "topP"))
_PARAMS = frozenset({"auto_template", "guidance", "max_generated_token_count"}) | {
    name for name, _ in _NUMBERS
}
#: Keys of a guidance mapping the SDK treats specially (a field; ``BaseModel.__init__``'s self).
_GUIDANCE_RESERVED = frozenset({"additional_properties", "__pydantic_self__"})
#: Timestamps as the API writes them (``2024-01-01T00:00:00.000Z``): a strict subset of what
#: pydantic v1's ``parse_datetime`` reads; an offset of at most 23:59 is always a valid timezone.
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)


def body_json(query: Any, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """``CompleteModelBodyParams(query=query, **params).to_dict()``, or None: ask the SDK.

    ``params`` uses the SDK's field names (``max_generated_token_count``, not ``max_tokens``).
    """
    if type(query) is not str or not query or not _PARAMS.issuperset(params):
        return None
    auto_template = params.get("auto_template", True)  # the SDK's default, always sent
    if auto_template is not True and auto_template is not False:  # StrictBool
        return None
    body: dict[str, Any] = {"autoTemplate": auto_template}
    if "guidance" in params:
        guidance = _guidance_json(params["guidance"])
        if guidance is None:
            return None
        body["guidance"] = guidance
    if "max_generated_token_count" in params:
        count = params["max_generated_token_count"]
        if type(count) is not int or not 0 < count < 512:  # conint(strict=True, gt=0, lt=512)
            return None
        body["maxGeneratedTokenCount"] = count
    body["query"] = query
    for name, key in _NUMBERS:
        if name not in params:
            continue
        value = params[name]
        # Exact types only: StrictInt refuses bools, and a float or int subclass (numpy's
        # float64) would reach the JSON as itself; both are the SDK's to judge.
        if type(value) is not int and (name == "top_k" or type(value) is not float):
            return None
        body[key] = value
    return body


def _guidance_json(value: Any) -> dict[str, Any] | None:
    """``CompleteModelBodyParamsGuidance(**value).to_dict()`` for a plain dict, else None."""
    if type(value) is not dict:
        return None
    if any(type(key) is not str or key in _GUIDANCE_RESERVED for key in value):
        return None  # non-str keys and reserved names fail or change the SDK's output
    kind, choices = value.get("type"), value.get("value")
    # The SDK's enum check is `value not in ('choice')`: a substring test on one string.
    if type(kind) is not str or kind not in "choice":
        return None
    if type(choices) is not list or not 1 <= len(choices) <= 10:
        return None
    if not all(type(choice) is str and 1 <= len(choice) <= 32 for choice in choices):
        return None
    return {"type": kind, "value": list(choices)}  # other keys: ignored by the SDK too


def completion_fields(data: Any) -> tuple[str, str] | None:
    """``(generatedOutput, finishReason)`` of a ``CompleteModelSuccess`` answer, or None."""
    if type(data) is not dict:
        return None
    text, finish_reason = data.get("generatedOutput"), data.get("finishReason")
    if type(text) is not str or type(finish_reason) is not str:
        return None
    return text, finish_reason


def is_model_adapter(data: Any) -> bool:
    """Whether ``data`` is a ``GetModelSuccess`` (a model adapter); False: ask the SDK."""
    return type(data) is dict and _model_adapter_ok(data)


def base_model_ids(data: Any) -> list[tuple[str, str]] | None:
    """The ``(slug, id)`` of each base model of a ``ListModelsSuccess`` answer, or None.

    In listing order, duplicates kept; adapters in the listing are checked and skipped, as
    they have no slug.
    """
    if type(data) is not dict:
        return None
    models = data.get("models")
    if type(models) is not list:
        return None
    found: list[tuple[str, str]] = []
    for entry in models:
        if type(entry) is not dict:
            return None
        kind = entry.get("type")
        # The SDK picks the model by this exact value; any other value makes it try both.
        if type(kind) is str and kind == "baseModel" and _base_model_ok(entry):
            found.append((entry["slug"], entry["id"]))
        elif not (type(kind) is str and kind == "modelAdapter" and _model_adapter_ok(entry)):
            return None
    return found


def _base_model_ok(entry: dict[str, Any]) -> bool:
    """Whether the SDK's ``BaseModel`` accepts ``entry`` (type already checked)."""
    capabilities = entry.get("capabilities")
    return (
        type(capabilities) is list
        and all(type(c) is str and c in ("complete", "fineTune") for c in capabilities)
        and _is_id(entry.get("id"))
        and _is_text(entry.get("name"))
        and _is_text(entry.get("slug"))
    )


def _model_adapter_ok(entry: dict[str, Any]) -> bool:
    """Whether the SDK's ``ModelAdapter`` / ``GetModelSuccess`` accepts ``entry``."""
    kind = entry.get("type")
    return (
        _is_text(entry.get("baseModelId"))
        and _is_id(entry.get("id"))
        and _is_timestamp(entry.get("latestUpdateTime"))
        and _is_text(entry.get("name"))
        # The SDK's enum check is `value not in ('modelAdapter')`: a substring test.
        and type(kind) is str
        and kind in "modelAdapter"
    )


def _is_text(value: Any) -> bool:
    """``constr(strict=True, min_length=1)``."""
    return type(value) is str and len(value) >= 1


def _is_id(value: Any) -> bool:
    return type(value) is str and len(value) == _ID_LENGTH


def _is_timestamp(value: Any) -> bool:
    """A ``datetime`` field pydantic v1 reads from this string (within ``_TIMESTAMP``)."""
    if type(value) is not str:
        return False
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, fraction = match.groups()
    try:  # the fields pydantic v1 passes to datetime(), which may still refuse them
        datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        return False
    return True
