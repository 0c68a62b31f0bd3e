"""Clipping untrusted text (outputs, prompts, error messages) for summaries and reports."""

from __future__ import annotations

__all__ = ["clip_text"]


def clip_text(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was cut (outputs can be huge)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more chars]"
