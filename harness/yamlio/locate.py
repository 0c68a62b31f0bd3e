"""Turns pydantic validation errors into ``file:line:col: what was expected`` locations."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import Location
from harness.registry import suggest
from harness.yamlio.document import YamlDocument
from harness.yamlio.paths import KeyPath, describe_path

__all__ = ["is_number", "locations_from_validation_error", "number_hint"]

_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return [x for a in typing.get_args(tp) for x in _unwrap(a)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    return [tp]


def _model_at(model: type[BaseModel], path: KeyPath) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path``, when it can be found."""
    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
            continue
        nxt = None
        for cand in _unwrap(current):
            origin = typing.get_origin(cand)
            args = typing.get_args(cand)
            if origin in (list, tuple, typing.Sequence) and isinstance(part, int) and args:
                nxt = args[0]
            elif origin is dict and args:
                nxt = args[1]
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for cand in _unwrap(current):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def _clean_loc(loc: KeyPath, doc: YamlDocument) -> KeyPath:
    """Drop pydantic's union/validator tags (class names, 'function-after[...]') from ``loc``."""
    out: list[str | int] = []
    for part in loc:
        candidate = (*out, part)
        if candidate in doc.value_positions or candidate in doc.key_positions:
            out.append(part)
        elif isinstance(part, str) and ("[" in part or part[:1].isupper()):
            continue
        else:
            out.append(part)
    return tuple(out)


def is_number(value: Any) -> bool:
    """An int or a float, not a bool: what YAML makes of ``42`` or ``3.5``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_hint(doc: YamlDocument, path: KeyPath, value: Any) -> str:
    """How to write a number YAML read at ``path`` as text: quoted, as it was written."""
    text = doc.number_texts.get(path, str(value))
    return f' (YAML reads {text} as a number; quote it to make it text: "{text}")'


def _got(value: Any) -> str:
    """The offending value, clipped; of a text of several lines only the first (a file named
    by a suite may hold anything: a message shows no more of it than the offending line)."""
    if isinstance(value, str) and "\n" in value.strip("\n"):
        lines = value.strip("\n").split("\n")
        return f"{lines[0][:50] + '…'!r} (text of {len(lines)} lines)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def locations_from_validation_error(
    exc: ValidationError,
    doc: YamlDocument,
    model: type[BaseModel],
    base: KeyPath = (),
) -> list[Location]:
    """Rephrase each pydantic error in our words and point it at its YAML node."""
    out: list[Location] = []
    for err in exc.errors(include_url=False):
        loc = _clean_loc((*base, *err["loc"]), doc)
        where = describe_path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = loc[:-1]
            key = str(loc[-1])
            owner = _model_at(model, parent[len(base) :])
            allowed = [(f.alias or n) for n, f in owner.model_fields.items()] if owner else []
            msg = f"unknown key '{key}' at {describe_path(parent)}{suggest(key, allowed)}"
            if allowed:
                msg += f"; expected one of: {', '.join(allowed)}"
            out.append(doc.location(loc, msg, key=True))
        elif kind == "missing":
            out.append(
                doc.location(
                    loc[:-1], f"{describe_path(loc[:-1])}: missing required key '{loc[-1]}'"
                )
            )
        elif kind in _TYPE_WORDS:
            got = _got(err["input"])
            if kind == "string_type" and is_number(err["input"]):
                got += number_hint(doc, loc, err["input"])
            out.append(doc.location(loc, f"{where}: expected {_TYPE_WORDS[kind]}, got {got}"))
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            out.append(doc.location(loc, f"{where}: {msg[:1].lower()}{msg[1:]}"))
    return out
