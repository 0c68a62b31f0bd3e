"""Why a dataset cannot become cases: DatasetProblem (one field, one message) and DatasetError."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.yamlio import KeyPath, describe_path

__all__ = [
    "MAX_LISTED",
    "DatasetError",
    "DatasetProblem",
    "cap_problems",
    "one_line",
    "shown_names",
    "value_kind",
]

MAX_LISTED = 10  # problems of one kind listed per dataset; the rest are counted
MAX_NAMES = 20  # column or split names listed in a message; the rest are counted
NAME_CHARS = 40  # of each name shown
_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class DatasetProblem:
    """One problem with a dataset; ``path`` is the DatasetSpec field at fault, as YAML keys."""

    path: KeyPath
    message: str

    @property
    def field(self) -> str:
        return describe_path(self.path)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class DatasetError(HarnessError):
    """A dataset cannot become cases; holds every problem found, ``field``/``message`` the first's.

    ``field`` is the dotted DatasetSpec field at fault ("path", "columns.prompt", "split",
    "sample.n", "columns.vars[1]"); ``problems`` holds each problem with its key path, so a
    loader can point each at its own YAML line.
    """

    def __init__(
        self, message: str, field: str, *, problems: Sequence[DatasetProblem] = ()
    ) -> None:
        self.message = message
        self.field = field
        self.problems = tuple(problems) or (DatasetProblem(_parse_field(field), message),)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def of(cls, problems: Sequence[DatasetProblem]) -> DatasetError:
        first = problems[0]
        return cls(first.message, first.field, problems=problems)

    @classmethod
    def at(cls, path: KeyPath, message: str) -> DatasetError:
        """One problem at one field, the common case."""
        return cls.of([DatasetProblem(path, message)])


def _parse_field(field: str) -> KeyPath:
    return tuple(int(m[2]) if m[2] else m[1] for m in _FIELD_PART.finditer(field))


def cap_problems(problems: list[DatasetProblem], what: str) -> list[DatasetProblem]:
    """At most MAX_LISTED problems, the last counting the rest: 10,000 bad rows stay short."""
    if len(problems) <= MAX_LISTED:
        return problems
    last = problems[MAX_LISTED - 1]
    more = len(problems) - MAX_LISTED
    return [
        *problems[: MAX_LISTED - 1],
        DatasetProblem(last.path, f"{last.message} (and {more} more {what})"),
    ]


def value_kind(value: Any) -> str:
    """A data value's kind as messages name it ("a number", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else type(value).__name__


def one_line(text: str, limit: int = 200) -> str:
    """The first line of ``text``, clipped: a message quotes no more of a file than that.

    A suite may name any file as a dataset (``/etc/passwd`` is read if it says so), so what
    a reader or a library says about it is cut to its first line.
    """
    first = text.strip().split("\n", 1)[0]
    more = first != text.strip()
    if len(first) > limit:
        first, more = first[:limit], True
    return first + ("…" if more else "")


def shown_names(names: Sequence[str]) -> str:
    """Column or split names for "available: …", each clipped, at most MAX_NAMES of them."""
    shown = [n if len(n) <= NAME_CHARS else n[:NAME_CHARS] + "…" for n in names[:MAX_NAMES]]
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest > 0 else "") if shown else "none"
