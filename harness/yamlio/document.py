"""YamlDocument: parsed data plus the line and column of every value and key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.errors import Location
from harness.yamlio.paths import KeyPath

__all__ = ["YamlDocument"]


@dataclass
class YamlDocument:
    """A parsed YAML file: plain Python data plus the position of every value and key.

    ``number_texts`` keeps each plain scalar that YAML read as a number as it was written
    (``3.50``, ``0x1F``), so a number given where text is meant can become that text.
    """

    file: str
    data: Any
    value_positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    number_texts: dict[KeyPath, str] = field(default_factory=dict)

    def position(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value (or key) at ``path``, or of its nearest ancestor."""
        p = tuple(path)
        while True:
            table = self.key_positions if key and p in self.key_positions else self.value_positions
            if p in table:
                return table[p]
            if not p:
                return (1, 1)
            p = p[:-1]
            key = False

    def location(self, path: KeyPath, message: str, *, key: bool = False) -> Location:
        line, col = self.position(path, key=key)
        return Location(self.file, line, col, message)
