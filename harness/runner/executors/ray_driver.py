"""The Ray executor's driver: plans as a local run does, hands the requests to Ray actors in
batches, and is the only writer of the records they stream back.

Each worker (``ray_worker.RayWorker``) runs the run's Driver with its share of the overall
concurrency; per-adapter limits live in one shared actor (``ray_limits``). The driver keeps
every worker a little more work than its share, collects finished records in small batches,
writes each key once, and hands a lost worker's unfinished requests to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import signal
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

from harness.errors import HarnessError
from harness.records.store import write_manifest
from harness.runner.executors.base import RunParts, Store
from harness.runner.executors.ray_worker import RayWorker, WorkerJob, pack_job
from harness.runner.judges import JudgeTally
from harness.runner.plan import PlannedRequest, RequestKey, remaining_requests
from harness.runner.prepare import close_llms
from harness.runner.scheduler import LoopLagMonitor

__all__ = ["connect", "drive_on_ray", "worker_shares"]

TAKE_WAIT_S = 1.0
"""A take waits this long for a worker's first finished record before answering empty."""


def worker_shares(concurrency: int, workers: int) -> list[int]:
    """The overall concurrency split between workers (sizes differ by at most one, sum to it);
    never more workers than slots: a worker with no slot could send nothing."""
    count = max(1, min(workers, concurrency))
    return [concurrency // count + (i < concurrency % count) for i in range(count)]


def connect(address: str | None) -> bool:
    """Join Ray (``address``: "auto", "ray://host:port") or start a local instance sized for
    this machine; True when this call started it (so the run shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    # ray.init installs its own SIGTERM handler: keep the CLI's (SIGTERM stops like Ctrl-C)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        # quiet: the run's console is the progress bar; workers' output goes to Ray's log files
        quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
        if address is None:
            ray.init(include_dashboard=False, **quiet)
        else:
            ray.init(address=address, **quiet)
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return True


@dataclass(eq=False)  # one per actor: compared (and hashed) by identity
class _Worker:
    label: str
    actor: Any
    share: int
    outstanding: dict[RequestKey, PlannedRequest] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    alive: bool = True

    @property
    def window(self) -> int:
        """Requests handed to the worker and not yet back: its share in flight, and enough
        waiting that it never runs dry while its finished records wait for the next take (a
        take comes back with about a share of records at full speed)."""
        return 4 * self.share + 4


class _Dispatch:
    """Hands out the plan, collects records, reassigns a lost worker's requests."""

    def __init__(self, run: RunParts, store: Store, workers: list[_Worker], limits: Any) -> None:
        self.run, self.store, self.workers, self.limits = run, store, workers, limits
        settings = run.settings
        self._plan: Iterator[PlannedRequest] = remaining_requests(
            run.cases, run.suite.candidates, settings.order_seed, settings.repeat, run.recorded
        )
        self._requeued: deque[PlannedRequest] = deque()
        self._index = {case.id: i for i, case in enumerate(run.cases)}
        self._written: set[RequestKey] = set(run.recorded)
        self._takes: dict[asyncio.Future[Any], _Worker] = {}
        self.duplicates = 0
        self.reassigned = 0
        self.lost: list[str] = []

    def _next(self) -> PlannedRequest | None:
        if self._requeued:
            return self._requeued.popleft()
        return next(self._plan, None)

    def _fill(self, worker: _Worker) -> None:
        # top up in batches of a share or more: each hand-out is a Ray call, the driver's
        # largest cost per record (the window leaves a share and more queued meanwhile)
        if worker.window - len(worker.outstanding) < worker.share:
            return
        batch: list[PlannedRequest] = []
        while len(worker.outstanding) + len(batch) < worker.window:
            request = self._next()
            if request is None:
                break
            batch.append(request)
        if not batch:
            return
        worker.outstanding.update((r.key, r) for r in batch)
        items = [(self._index[r.case.id], r.adapter.name, r.repeat, r.seq) for r in batch]
        worker.actor.submit.remote(items)
        self.run.sent()

    def _take(self, worker: _Worker) -> None:
        self._fill(worker)
        if worker.outstanding:
            future = asyncio.wrap_future(worker.actor.take.remote(TAKE_WAIT_S).future())
            self._takes[future] = worker

    async def run_all(self) -> None:
        import ray.exceptions

        for worker in self.workers:
            self._take(worker)
        while self._takes:
            done, _ = await asyncio.wait(self._takes, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                worker = self._takes.pop(future)
                try:
                    records, entries = pickle.loads(future.result())  # noqa: S301 (our worker)
                except ray.exceptions.RayActorError:
                    await self._lose(worker)
                    continue
                self._store(worker, records, entries)
                self._take(worker)
        if self._requeued or any(w.outstanding for w in self.workers):
            raise HarnessError(
                f"every Ray worker was lost ({', '.join(self.lost)}); the records so far are "
                "kept: finish the run with --resume"
            )

    def _store(self, worker: _Worker, records: list[Any], entries: list[Any]) -> None:
        cassette = self.run.aids.cassette
        for entry in entries:
            if cassette is not None:
                cassette.write(entry)
        for record in records:
            key = (record.case_id, record.adapter, record.repeat)
            worker.outstanding.pop(key, None)
            if key in self._written:
                self.duplicates += 1
                continue
            self._written.add(key)
            self.store(record)

    async def _lose(self, worker: _Worker) -> None:
        """A worker died: its unfinished requests go back first in line, in plan order, to the
        workers still alive; the slots it held in shared limits are given back."""
        import ray

        worker.alive = False
        self.lost.append(worker.label)
        with contextlib.suppress(Exception):
            ray.kill(worker.actor, no_restart=True)  # "unavailable" may come back: it must not
        unfinished = sorted(worker.outstanding.values(), key=lambda r: r.seq)
        worker.outstanding.clear()
        self.reassigned += len(unfinished)
        self._requeued.extendleft(reversed(unfinished))
        if self.limits is not None:
            with contextlib.suppress(Exception):
                await self.limits.release_all.remote(worker.label)
        busy = set(self._takes.values())
        for other in self.workers:
            if other.alive and other not in busy:
                self._take(other)


async def drive_on_ray(run: RunParts, store: Store) -> dict[str, Any]:
    """Run the remaining plan on Ray workers; the run's lag block (driver and workers)."""
    import ray

    started = connect(run.options.ray_address)
    workers: list[_Worker] = []
    limits = None
    lag = LoopLagMonitor()
    lag_task = asyncio.create_task(lag.run())
    try:
        limits = _limits_actor(run)
        workers = await _start_workers(run, limits)
        run.collector.clock_starts()
        _record_facts(run, workers)
        dispatch = _Dispatch(run, store, workers, limits)
        await dispatch.run_all()
        figures = await asyncio.gather(
            *(asyncio.wrap_future(w.actor.finish.remote().future()) for w in workers if w.alive)
        )
        return _lag_block(run, lag, dispatch, figures)
    finally:
        lag_task.cancel()
        for handle in [w.actor for w in workers] + ([limits] if limits is not None else []):
            with contextlib.suppress(Exception):
                ray.kill(handle, no_restart=True)
        await close_llms(run.llms.values())  # built for run.json only
        if started:
            ray.shutdown()


def _limits_actor(run: RunParts) -> Any:
    """The shared-limits actor, when some adapter (or judge) has a concurrency or rpm limit."""
    import ray

    settings = run.settings
    limits = {
        name: (settings.adapter_concurrency[name], settings.rpm[name])
        for name in settings.candidates
    }
    for name, judge in run.judges.items():
        limits.setdefault(name, (judge.concurrency, judge.rpm))
    limits = {n: v for n, v in limits.items() if v[0] or v[1]}
    if not limits:
        return None
    from harness.runner.executors.ray_limits import LimitsActor

    return ray.remote(LimitsActor).options(num_cpus=0).remote(limits)


async def _start_workers(run: RunParts, limits: Any) -> list[_Worker]:
    """Create the actors (fractional CPUs, so a small machine hosts several) and start them."""
    import ray

    cpus = float(ray.cluster_resources().get("CPU", 1.0))  # type: ignore[no-untyped-call]
    asked = run.options.workers or max(1, int(cpus))
    shares = worker_shares(run.settings.concurrency, asked)
    num_cpus = round(min(1.0, cpus / len(shares)), 4)
    actor = ray.remote(RayWorker)
    labels = [f"ray-{i}" for i in range(len(shares))]
    workers = [
        _Worker(
            label,
            actor.options(
                name=f"harness-{run.run_id}-{label}", num_cpus=num_cpus, max_restarts=0
            ).remote(label),
            share,
        )
        for label, share in zip(labels, shares, strict=True)
    ]
    aids = run.aids
    base = WorkerJob(
        suite=run.suite,
        cases=run.cases,
        resolved=run.resolved,
        settings=run.settings,
        run_id=run.run_id,
        secrets=run.redactor.secrets,
        judges=run.judges,
        limits=limits,
        cache_path=aids.cache.path.resolve() if aids.cache is not None else None,
        identities=aids.identities,
        record=aids.cassette is not None,
    )
    # The job (secrets included) goes by a method call: creation arguments Ray keeps
    starts = [
        asyncio.wrap_future(
            w.actor.start.remote(
                pack_job(replace(base, settings=replace(run.settings, concurrency=w.share)))
            ).future()
        )
        for w in workers
    ]
    for worker, facts in zip(workers, await asyncio.gather(*starts), strict=True):
        worker.facts = facts
    return workers


def _record_facts(run: RunParts, workers: list[_Worker]) -> None:
    """run.json: the executor, each worker, the machine facts of every node; written now, so a
    run whose driver dies still says how it ran."""
    import ray

    manifest = run.manifest
    if manifest is None:
        return
    nodes: dict[str, Any] = {}
    for w in workers:
        nodes.setdefault(w.facts.get("node_id") or w.facts["host"], w.facts["machine"])
    manifest.execution |= {
        "executor": "ray",
        "ray": {"version": ray.__version__, "address": run.options.ray_address or "local"},
        "workers": [{k: v for k, v in w.facts.items() if k != "machine"} for w in workers],
        "nodes": nodes,
    }
    write_manifest(run.options.output_dir / run.run_id, manifest, run.redactor)


def _lag_block(
    run: RunParts, lag: LoopLagMonitor, dispatch: _Dispatch, figures: list[dict[str, Any]]
) -> dict[str, Any]:
    """The worst worker's loop lag on top (what the CLI warns on), then each part's own."""
    lags = {
        f["worker"]: {**f.get("lag", {}), "records": f["records"], "cpu_s": f["cpu_s"]}
        for f in figures
    }
    top: dict[str, Any] = {}
    for key in ("loop_lag_p50_ms", "loop_lag_p99_ms", "loop_lag_max_ms"):
        values = [v[key] for v in lags.values() if key in v]
        if values:
            top[key] = max(values)
    top["samples"] = sum(v.get("samples", 0) for v in lags.values())
    _add_worker_counts(run, figures)
    if run.manifest is not None:
        run.manifest.execution["workers_lost"] = dispatch.lost
        run.manifest.execution["requests_reassigned"] = dispatch.reassigned
        run.manifest.execution["duplicates_dropped"] = dispatch.duplicates
    return {
        **top,
        "driver": lag.summary(),
        "workers": lags,
        "sync_adapters_in_threads": sorted(
            {n for f in figures for n in f.get("sync_adapters_in_threads", [])}
        ),
    }


def _add_worker_counts(run: RunParts, figures: list[dict[str, Any]]) -> None:
    """Judge tallies and cache counts: the sum over the workers."""
    for f in figures:
        for name, tally in f.get("judge_tallies", {}).items():
            total = run.judge_tallies.setdefault(name, JudgeTally())
            for spec in fields(JudgeTally):
                setattr(total, spec.name, getattr(total, spec.name) + getattr(tally, spec.name))
        if run.aids.cache is not None:
            run.aids.cache.hits += f.get("cache_hits", 0)
            run.aids.cache.misses += f.get("cache_misses", 0)
