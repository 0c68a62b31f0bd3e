"""``harness bench --executor ray``: each load level split between Ray workers that start it at
the same moment; their replies merged into one point, so a sweep can exceed one process.

A level of concurrency C on N workers gives each a share of C (``worker_shares``); a rate R
gives each R/N requests per second. The requests of the level are split the same way. The
level's duration runs from the first worker's start to the last one's end (wall clock: the
workers of one machine share it; across machines it is as good as their clock sync).
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import time
from collections.abc import Callable, Sequence
from typing import Any

from harness.records.redaction import Redactor, in_effect
from harness.runner.bench import BenchPoint, bench_levels, bench_point, run_load
from harness.runner.executors.ray_driver import connect, worker_shares
from harness.runner.executors.ray_worker import pack_job
from harness.runner.prepare import close_llms
from harness.runner.setup import build_llm
from harness.suite.load import AdapterConfig, Suite

__all__ = ["BenchWorker", "bench_on_ray"]

START_MARGIN_S = 0.25
"""How far ahead the driver sets a level's common start, so every worker has its order."""


class BenchWorker:
    """An async Ray actor: the chosen adapters' LLMs, sending one share of a level on request."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._suite: Suite | None = None
        self._llms: dict[str, Any] = {}

    async def start(self, job_bytes: bytes) -> dict[str, bool]:
        """Build and prepare the LLMs (secrets come here, not at creation); each one's
        ``streaming_emulated``."""
        suite, resolved, secrets = pickle.loads(job_bytes)  # noqa: S301 (from our driver)
        self._stack.enter_context(in_effect(Redactor(secrets)))
        self._suite = suite
        adapters = {a.name: a for a in suite.adapters}
        self._llms = {name: build_llm(adapters[name], opts) for name, opts in resolved.items()}
        for llm in self._llms.values():
            prepare = getattr(llm, "aprepare", None)
            if prepare is not None:
                await prepare()
        return {n: bool(getattr(llm, "streaming_emulated", False)) for n, llm in self._llms.items()}

    async def level(
        self,
        adapter: str,
        mode: str,
        load: float,
        requests: int,
        timeout_s: float,
        first: int,
        begin_at: float,
    ) -> tuple[list[Any], float, float]:
        """This worker's share of a level, started at wall time ``begin_at``: the replies,
        and the wall times it started and ended."""
        assert self._suite is not None, "start() first"
        await asyncio.sleep(max(0.0, begin_at - time.time()))
        began = time.time()
        results, duration = await run_load(
            self._suite, self._llms[adapter], mode, load, requests, timeout_s, first
        )
        return results, began, began + duration

    async def close(self) -> None:
        await close_llms(self._llms.values())
        self._stack.close()


def bench_on_ray(
    suite: Suite,
    adapters: Sequence[AdapterConfig],
    resolved: dict[str, dict[str, Any]],
    secrets: tuple[str, ...],
    *,
    concurrency: Sequence[int],
    rates: Sequence[float],
    requests: int,
    workers: int | None,
    address: str | None,
    on_point: Callable[[BenchPoint], None] | None = None,
) -> list[BenchPoint]:
    """Every level for every adapter, each split between the Ray workers."""
    import ray

    started = connect(address)
    actors: list[Any] = []
    try:
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
        cpus = float(ray.cluster_resources().get("CPU", 1.0))  # type: ignore[no-untyped-call]
        remote = ray.remote(BenchWorker).options(num_cpus=round(min(1.0, cpus / count), 4))
        actors = [remote.remote() for _ in range(count)]
        job = pack_job((suite, resolved, secrets))  # by a method call: see ray_worker.py
        return asyncio.run(
            _sweep(
                actors,
                job,
                adapters,
                concurrency,
                rates,
                requests,
                suite.request_timeout_s,
                on_point,
            )
        )
    finally:
        for actor in actors:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        if started:
            ray.shutdown()


async def _sweep(
    actors: list[Any],
    job: bytes,
    adapters: Sequence[AdapterConfig],
    concurrency: Sequence[int],
    rates: Sequence[float],
    requests: int,
    timeout_s: float,
    on_point: Callable[[BenchPoint], None] | None,
) -> list[BenchPoint]:
    emulated = (await asyncio.gather(*(_call(a.start, job) for a in actors)))[0]
    points = []
    for adapter in adapters:
        # one uncounted request per worker warms connections and lazy imports
        await asyncio.gather(
            *(_call(a.level, adapter.name, "concurrency", 1, 1, timeout_s, 0, 0.0) for a in actors)
        )
        for mode, load in bench_levels(concurrency, rates):
            point = await _level(
                actors, adapter.name, mode, load, requests, timeout_s, emulated[adapter.name]
            )
            points.append(point)
            if on_point is not None:
                on_point(point)
    await asyncio.gather(*(_call(a.close) for a in actors), return_exceptions=True)
    return points


async def _level(
    actors: list[Any],
    adapter: str,
    mode: str,
    load: float,
    requests: int,
    timeout_s: float,
    emulated: bool,
) -> BenchPoint:
    """One level on every worker at once, merged: replies pooled, duration first to last."""
    if mode == "concurrency":
        loads = [float(s) for s in worker_shares(int(load), len(actors))]
    else:
        loads = [load / len(actors)] * len(actors)
    counts = worker_shares(requests, len(loads))
    loads = loads[: len(counts)]
    begin_at = time.time() + START_MARGIN_S
    firsts = [sum(counts[:i]) for i in range(len(counts))]
    shares = await asyncio.gather(
        *(
            _call(actor.level, adapter, mode, share, n, timeout_s, first, begin_at)
            for actor, share, n, first in zip(actors, loads, counts, firsts, strict=False)
        )
    )
    results = [r for replies, _, _ in shares for r in replies]
    duration = max(end for _, _, end in shares) - min(began for _, began, _ in shares)
    return bench_point(adapter, mode, load, results, duration, emulated)


async def _call(method: Any, *args: Any) -> Any:
    return await asyncio.wrap_future(method.remote(*args).future())
