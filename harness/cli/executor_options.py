"""``--executor``, ``--workers`` and ``--ray-address``: one declaration for run and bench."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["executor_options", "executor_settings"]

F = TypeVar("F", bound=Callable[..., Any])


def executor_options(fn: F) -> F:
    """Add the executor options (parsed into ``executor``, ``workers``, ``ray_address``)."""
    fn = click.option(
        "--ray-address",
        metavar="ADDR",
        help="Ray cluster to join ('auto', 'ray://host:10001'); default: start a local Ray.",
    )(fn)
    fn = click.option(
        "--workers",
        type=click.IntRange(1, 1024),
        help="Ray workers (default: one per CPU Ray sees); each takes a share of --concurrency.",
    )(fn)
    return click.option(
        "--executor",
        type=click.Choice(["local", "ray"]),
        help="Where requests run: 'local' (this process, the default) or 'ray' (worker "
        "processes, on this machine or a cluster; pip install 'llm-adapter-harness[ray]').",
    )(fn)


def executor_settings(
    executor: str | None, workers: int | None, ray_address: str | None
) -> dict[str, Any]:
    """The options as RunOptions fields; ``--workers`` or ``--ray-address`` alone mean Ray."""
    chosen = executor or ("ray" if workers or ray_address else "local")
    return {"executor": chosen, "workers": workers, "ray_address": ray_address}
