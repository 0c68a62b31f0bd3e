"""Key paths into a YAML document (``('cases', 2, 'repeat')``) and how messages spell them."""

from __future__ import annotations

__all__ = ["KeyPath", "describe_path"]

KeyPath = tuple[str | int, ...]


def describe_path(path: KeyPath) -> str:
    """``('cases', 2, 'repeat')`` → ``cases[2].repeat``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "top level"
