"""Custom checks for suites/examples/metrics-tour.yaml (named as `checks:<function>`)."""

from __future__ import annotations

from typing import Any


def is_polite(output: str, observation: Any, words: tuple[str, ...] = ("please", "thank")) -> float:
    """Score 1.0 when the reply contains a polite word, else 0.0."""
    lowered = output.lower()
    return 1.0 if any(word in lowered for word in words) else 0.0
