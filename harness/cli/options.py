"""Command-line options that several commands share, declared once so they read alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["pair_option", "probability_option"]

F = TypeVar("F", bound=Callable[..., Any])


def pair_option(help: str) -> Callable[[F], F]:
    """``--pair BASE:CANDIDATE`` (repeatable), collected as ``pairs``."""
    return click.option(
        "--pair", "pairs", multiple=True, metavar="BASE_ADAPTER:CANDIDATE_ADAPTER", help=help
    )


def probability_option(name: str, default: float, help: str) -> Callable[[F], F]:
    """An option holding a probability strictly between 0 and 1 (``--alpha``, ``--power``)."""
    return click.option(
        name,
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=default,
        show_default=True,
        help=help,
    )
