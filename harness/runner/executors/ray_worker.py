"""One Ray worker: builds its adapters and runs the run's Driver on the requests it is handed.

The driver creates :class:`RayWorker` as an async Ray actor with nothing but its label; the
job (the suite, the adapters' options as used, secrets included) arrives by :meth:`start`,
a method call whose arguments Ray neither logs nor keeps once it has run (docs/scale-out.md).
Requests arrive by :meth:`submit` as (case index, adapter, repeat, seq); finished records
wait in an outbox until the driver's :meth:`take` collects them. Timing happens here, on this
worker's clock, as in a local run; each record says which worker and host measured it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import pickle
import platform
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.records import CaseRecord
from harness.records.redaction import Redactor, in_effect
from harness.runner.drive import Driver, MakeLane
from harness.runner.durable import CacheAndCassette
from harness.runner.judges import JudgeLimits
from harness.runner.plan import PlannedRequest, warm_up_requests
from harness.runner.prepare import StartupGC, close_llms, prepare_llms, warm_up_metrics
from harness.runner.scheduler import Lane
from harness.runner.settings import RunSettings
from harness.runner.setup import build_llm, machine_info
from harness.suite.load import Case, Suite

__all__ = ["RayWorker", "WorkItem", "WorkerJob", "pack_job"]

WorkItem = tuple[int, str, int, int]
"""A planned request as sent to a worker: (index into the job's cases, adapter, repeat, seq)."""

TAKE_GATHER_S = 0.02
"""After the first record is ready, how long :meth:`RayWorker.take` waits for more: records
travel in small batches (fewer round trips), at most this much later than one by one."""


@dataclass
class WorkerJob:
    """Everything a worker needs; pickled by the driver and handed over by ``start``."""

    suite: Suite
    cases: tuple[Case, ...]
    resolved: dict[str, dict[str, Any]]  # secrets included: never a creation argument
    settings: RunSettings  # with this worker's share of the overall concurrency
    run_id: str
    secrets: tuple[str, ...]
    judges: dict[str, JudgeLimits]
    limits: Any = None  # the LimitsActor's handle, when an adapter has a limit
    cache_path: Path | None = None
    identities: dict[str, Any] = field(default_factory=dict)
    record: bool = False  # --record: cassette entries travel back with the records


def pack_job(job: object) -> bytes:
    """``job`` as bytes a worker can load: cloudpickle, so metrics' closures travel, and the
    modules beside the suite (custom checks, loaded by path, importable nowhere else) by value.
    """
    import sys

    from ray import cloudpickle

    for name, module in list(sys.modules.items()):
        if name.startswith("harness_suite_") and module is not None:
            with contextlib.suppress(ValueError):
                cloudpickle.register_pickle_by_value(module)  # type: ignore[no-untyped-call]
    return bytes(cloudpickle.dumps(job))  # type: ignore[no-untyped-call]


class _CassetteBuffer:
    """Stands in for the cassette writer: entries wait here until the driver writes them."""

    def __init__(self) -> None:
        self.entries: list[Any] = []

    def write(self, entry: Any) -> None:
        self.entries.append(entry)


class RayWorker:
    """An async Ray actor (the driver applies ``ray.remote``): one Driver on its share."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.host = platform.node()
        self._stack = contextlib.ExitStack()
        self._inbox: asyncio.Queue[PlannedRequest | None] = asyncio.Queue()
        self._outbox: list[CaseRecord] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._driver: Driver | None = None
        self._llms: dict[str, Any] = {}
        self._cases: tuple[Case, ...] = ()
        self._adapters: dict[str, Any] = {}
        self._aids = CacheAndCassette()
        self._records = 0
        self._cpu_s = 0.0

    async def start(self, job_bytes: bytes) -> dict[str, Any]:
        """Build and prepare the adapters, warm up, start driving; this worker's facts."""
        job: WorkerJob = pickle.loads(job_bytes)  # noqa: S301 (from the run's own driver)
        self._stack.enter_context(in_effect(Redactor(job.secrets)))  # its logs too
        collector = self._stack.enter_context(StartupGC())  # as a local run: see prepare.py
        self._cases = job.cases
        self._adapters = {a.name: a for a in job.suite.adapters}
        self._llms = {a.name: build_llm(a, job.resolved[a.name]) for a in job.suite.adapters}
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            warmed = pool.submit(warm_up_metrics, job.cases)
            broken = await prepare_llms(self._llms, job.settings.timeout_s)
            await asyncio.wrap_future(warmed)
        self._open_aids(job)
        make_lane: MakeLane = Lane.of
        if job.limits is not None:
            from harness.runner.executors.ray_limits import shared_lane_maker

            make_lane = shared_lane_maker(job.limits, self.label)
        self._driver = self._stack.enter_context(
            Driver(
                self._llms,
                job.settings,
                run_id=job.run_id,
                secrets=job.secrets,
                broken=broken,
                aids=self._aids,
                judges=job.judges,
                make_lane=make_lane,
            )
        )
        candidates = job.suite.candidates
        await self._driver.warm_up(
            warm_up_requests(job.suite.cases, candidates, job.settings.warmup)
        )
        collector.clock_starts()
        self._cpu_s = time.process_time()  # this process's CPU from the first request on
        self._task = asyncio.create_task(self._drive(self._driver))
        return {
            "worker": self.label,
            "host": self.host,
            "pid": os.getpid(),
            "node_id": _node_id(),
            "concurrency": job.settings.concurrency,
            "machine": machine_info(),
        }

    def _open_aids(self, job: WorkerJob) -> None:
        if job.cache_path is not None:
            from harness.runner.cache import ResponseCache

            self._aids.cache = self._stack.enter_context(ResponseCache(job.cache_path))
            self._aids.identities = job.identities
        if job.record:
            self._aids.cassette = _CassetteBuffer()

    async def _requests(self) -> AsyncIterator[PlannedRequest]:
        while (request := await self._inbox.get()) is not None:
            yield request

    async def _drive(self, driver: Driver) -> None:
        try:
            async with contextlib.aclosing(driver.drive(self._requests())) as records:
                async for record in records:
                    self._outbox.append(
                        record.model_copy(update={"worker": self.label, "host": self.host})
                    )
                    self._records += 1
                    self._ready.set()
        finally:
            self._ready.set()  # a take waiting for records learns the drive ended

    async def submit(self, batch: list[WorkItem]) -> None:
        """Queue planned requests (the driver keeps a few more than this worker's share)."""
        for index, adapter, repeat, seq in batch:
            self._inbox.put_nowait(
                PlannedRequest(self._cases[index], self._adapters[adapter], repeat, seq)
            )

    async def take(self, wait_s: float) -> bytes:
        """The records finished since the last take and their cassette entries, pickled,
        waiting up to ``wait_s`` for the first. Raises whatever stopped the drive (a bug).

        Pickled here with the C pickler: Ray's own serialiser (cloudpickle) calls back into
        Python for every object of every record, which cost twice a local run's CPU per record.
        """
        if not self._outbox and not self._finished():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._ready.wait(), wait_s)
            if self._outbox:
                await asyncio.sleep(TAKE_GATHER_S)
        if not self._outbox and self._task is not None and self._task.done():
            self._task.result()  # re-raises a drive that failed
        records, self._outbox = self._outbox, []
        self._ready.clear()
        cassette = self._aids.cassette
        entries: list[Any] = []
        if isinstance(cassette, _CassetteBuffer):
            entries, cassette.entries = cassette.entries, []
        return pickle.dumps((records, entries), protocol=pickle.HIGHEST_PROTOCOL)

    def _finished(self) -> bool:
        return self._task is not None and self._task.done()

    async def finish(self) -> dict[str, Any]:
        """End the drive once every queued request is done; this worker's figures."""
        self._inbox.put_nowait(None)
        if self._task is not None:
            await self._task
        driver = self._driver
        figures: dict[str, Any] = {
            "worker": self.label,
            "records": self._records,
            "cpu_s": round(time.process_time() - self._cpu_s, 3),
        }
        if driver is not None:
            figures |= {
                "lag": driver.lag.summary(),
                "sync_adapters_in_threads": driver.sync_adapters,
                "judge_tallies": {n: replace(t) for n, t in driver.judges.tallies.items()},
            }
        cache = self._aids.cache
        if cache is not None:
            figures |= {"cache_hits": cache.hits, "cache_misses": cache.misses}
        await close_llms(self._llms.values())
        self._stack.close()
        return figures


def _node_id() -> str | None:
    """The Ray node this worker runs on (None outside Ray: asking would start one)."""
    with contextlib.suppress(Exception):
        import ray

        if ray.is_initialized():
            return str(ray.get_runtime_context().get_node_id())
    return None
