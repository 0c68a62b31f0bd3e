"""``--executor``, ``--workers`` and ``--ray-address``: one declaration for run and bench."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from harness.runner.setup import EmulatorHandle
    from harness.suite.load import AdapterConfig, Suite

__all__ = ["bench_execution", "bench_points_on_ray", "executor_options", "executor_settings"]

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
    """The options as RunOptions fields (None: the suite's ``execution:`` key decides;
    ``--workers`` or ``--ray-address`` alone mean Ray)."""
    return {"executor": executor, "workers": workers, "ray_address": ray_address}


def bench_points_on_ray(
    suite: Suite,
    adapters: Sequence[AdapterConfig],
    emu: EmulatorHandle,
    secrets: tuple[str, ...],
    console: Console,
    concurrency: Sequence[int],
    rates: Sequence[float],
    requests: int,
    chosen: dict[str, Any],
) -> list[dict[str, Any]]:
    """``harness bench --executor ray``: every point (as bench.json holds them), printed as
    it comes; the Ray executor must be installed (else a usage error saying how)."""
    from harness.runner.executors import get_executor
    from harness.runner.executors.ray_bench import bench_on_ray

    get_executor("ray")  # not installed: exit 4 with the install command
    points: list[dict[str, Any]] = []

    def show(point: Any) -> None:
        points.append(point.as_dict())
        console.print(
            f"{point.adapter} {point.mode}={point.load:g}: {point.throughput_rps:,.1f} req/s "
            f"on Ray, errors {point.errors}",
            highlight=False,
        )

    bench_on_ray(
        suite,
        adapters,
        {a.name: emu.options_for(a, resolve=True) for a in adapters},
        secrets,
        concurrency=concurrency,
        rates=rates,
        requests=requests,
        workers=chosen["workers"],
        address=chosen["ray_address"],
        on_point=show,
    )
    return points


def bench_execution(
    suite: Suite, executor: str | None, workers: int | None, ray_address: str | None
) -> dict[str, Any]:
    """Where ``harness bench`` sends: the flags over the suite's ``execution:`` key."""
    from harness.runner.settings import RunOptions

    chosen = RunOptions(executor=executor, workers=workers, ray_address=ray_address)
    resolved = chosen.with_execution(suite)
    return {k: getattr(resolved, k) for k in ("executor", "workers", "ray_address")}
