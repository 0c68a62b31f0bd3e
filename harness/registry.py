"""A typed registry of named plugins (adapters, metrics, reporters) with did-you-mean errors.

Built-ins register lazily as ``"module:attr"`` strings so heavy imports happen on first use;
third-party packages register through the entry-point group given to the registry.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from harness.errors import HarnessError

__all__ = ["Registry", "RegistryEntry", "UnknownNameError", "import_object", "suggest"]

T = TypeVar("T")


class UnknownNameError(HarnessError, KeyError):
    """A name that no registry entry has; the message suggests the nearest one."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def suggest(name: str, choices: list[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def import_object(path: str) -> Any:
    """Import ``"package.module:attribute"`` (the attribute may be dotted); raises ValueError.

    Returns Any: the object is whatever the user named; callers check what they need of it.
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'package.module:name', got {path!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raised while importing
        raise ValueError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None
    return obj


@dataclass
class RegistryEntry(Generic[T]):
    """One registered plugin: its object (or a lazy ``module:attr`` path) and metadata."""

    name: str
    target: T | str
    metadata: dict[str, Any] = field(default_factory=dict)

    def load(self) -> T:
        if isinstance(self.target, str):
            obj: T = import_object(self.target)
            self.target = obj
        return self.target


class Registry(Generic[T]):
    """name → plugin, with lazy built-ins, entry-point discovery and clash detection."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self._group = entry_point_group
        self._entries: dict[str, RegistryEntry[T]] = {}
        self._entry_points_loaded = False

    def add(self, name: str, target: T | str, **metadata: Any) -> None:
        if name in self._entries:
            raise HarnessError(f"{self.kind} '{name}' is registered twice")
        self._entries[name] = RegistryEntry(name, target, dict(metadata))

    def register(self, name: str, **metadata: Any) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def deco(obj: T) -> T:
            self.add(name, obj, **metadata)
            return obj

        return deco

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded or self._group is None:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self._group):
            if ep.name not in self._entries:
                self._entries[ep.name] = RegistryEntry(ep.name, ep.value)

    def entry(self, name: str) -> RegistryEntry[T]:
        if name not in self._entries:
            self._load_entry_points()
        try:
            return self._entries[name]
        except KeyError:
            names = self.names()
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'{suggest(name, names)}; available: {', '.join(names)}"
            ) from None

    def get(self, name: str) -> T:
        return self.entry(name).load()

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name not in self._entries:
            self._load_entry_points()
        return name in self._entries

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def __iter__(self) -> Iterator[RegistryEntry[T]]:
        self._load_entry_points()
        return iter([self._entries[n] for n in sorted(self._entries)])
