"""Numbers YAML made of text: ``- equals: 42`` means the text ``42``, kept exactly as written.

An expectation option that wants text but got a number (``42``, ``3.50``, ``0x1F``) gets the
scalar as the user typed it, from the document; bools stay errors (``yes`` is rarely text).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError

from harness.yamlio import KeyPath, YamlDocument, is_number

__all__ = ["numbers_as_text"]


def numbers_as_text(
    doc: YamlDocument, path: KeyPath, raw: dict[str, Any], shorthand: bool, exc: ValidationError
) -> dict[str, Any] | None:
    """``raw`` (``{metric: value}`` at ``path``) with each number refused as text made text.

    ``shorthand``: the value was a bare scalar, so pydantic's locations start with the option
    it filled. None when no refused number could be replaced by its written text.
    """
    ((name, value),) = raw.items()
    fixed = copy.deepcopy(value)
    changed = False
    for err in exc.errors(include_url=False):
        # list_type: a text-or-list option (``reference``) that wraps a single text itself
        if err["type"] not in ("string_type", "list_type") or not is_number(err["input"]):
            continue
        loc = tuple(err["loc"])[1:] if shorthand else tuple(err["loc"])
        steps = _steps(fixed, loc)
        text = doc.number_texts.get((*path, name, *steps))
        if text is None:
            continue
        if not steps:
            fixed = text
        else:
            parent = fixed
            for step in steps[:-1]:
                parent = parent[step]
            parent[steps[-1]] = text
        changed = True
    return {name: fixed} if changed else None


def _steps(value: Any, loc: tuple[Any, ...]) -> KeyPath:
    """The keys and indexes of ``loc`` that exist in ``value`` (pydantic's union tags dropped)."""
    steps: list[str | int] = []
    current = value
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            continue
        steps.append(part)
    return tuple(steps)
