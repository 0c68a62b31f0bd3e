"""run_suite(): plan the requests, drive them concurrently and fairly, store each record.

Adapters are interleaved case by case in a seeded, recorded order (``scheduler.plan_requests``),
so that neither side of a comparison always goes first or owns a warm connection pool. Native
async adapters run on the event loop; sync-only ones in a bounded thread pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import secrets as _secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness import __version__
from harness.adapters.base import redact_options
from harness.metrics import Observation
from harness.records import AdapterInfo, CaseRecord, RunManifest
from harness.records.store import RecordWriter, write_manifest
from harness.runner.durable import (
    Extras,
    cache_key_for,
    record_cassette,
    replay_context,
    resume_run,
)
from harness.runner.execute import Sent, build_record, is_sync_only, send
from harness.runner.scheduler import (
    Lane,
    LoopLagMonitor,
    RateLimiter,
    backoff_delay,
    error_kind,
    plan_requests,
)
from harness.runner.setup import EmulatorHandle, build_llm, machine_info, run_secrets, versions
from harness.suite.load import AdapterConfig, Case, Suite
from harness.suite.model import RetryPolicy

__all__ = ["RunOptions", "RunOutcome", "new_run_id", "run_suite"]

OnRecord = Callable[[CaseRecord], None]


@dataclass(frozen=True)
class RunOptions:
    """How to run a suite; the CLI's flags map onto these one to one (None: the suite's)."""

    output_dir: Path = Path("reports")
    run_id: str | None = None
    concurrency: int | None = None
    repeat: int | None = None
    request_timeout_s: float | None = None
    max_attempts: int | None = None
    rpm: float | None = None
    order_seed: int | None = None
    warmup: int | None = None
    shard: tuple[int, int] | None = None  # (I, N), 1-based: run only the I-th of N slices
    resume: bool = False  # continue run_id's folder, skipping what it already recorded
    cache_path: Path | None = None  # response cache (development runs; never timed)
    record: bool = False  # write cassette.jsonl for offline replay


@dataclass
class RunOutcome:
    """What a finished (or interrupted) run produced."""

    run_dir: Path
    manifest: RunManifest
    records: int = 0
    passed: int = 0
    errored: int = 0
    queue_wait_ms: float = 0.0
    per_adapter: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, record: CaseRecord) -> None:
        self.records += 1
        self.passed += record.passed
        self.errored += record.error is not None
        self.queue_wait_ms += record.queue_wait_ms
        stats = self.per_adapter.setdefault(
            record.adapter, {"records": 0, "passed": 0, "errored": 0}
        )
        stats["records"] += 1
        stats["passed"] += record.passed
        stats["errored"] += record.error is not None


def new_run_id(suite_name: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in suite_name.lower())[:40]
    return f"{stamp}-{slug}-{_secrets.token_hex(2)}"


def _warm_up_metrics(suite: Suite) -> None:
    """Evaluate each metric in use once on an empty output, off the clock (lazy imports).

    The token counter (records count output tokens) loads its encoding here too.
    """
    from harness.metrics.tokens import token_counter

    token_counter().count("warm up")
    done: set[str] = set()
    for case in suite.cases:
        for e in case.expectations:
            m = e.metric
            if m.name in done or m.needs_judge or not m.warm_up:
                continue
            done.add(m.name)
            with contextlib.suppress(Exception):
                e.evaluate(Observation(output=""))


class _Judges:
    """The JudgeContext a run gives LLM-as-judge metrics: judge adapters by name, cached.

    The cache is keyed by (adapter, prompt), so the same judgement is asked once per run.
    """

    def __init__(self, llms: dict[str, Any]) -> None:
        self._llms = llms
        self._cache: dict[tuple[str, str], asyncio.Future[str]] = {}

    async def complete(self, adapter: str, prompt: str) -> str:
        key = (adapter, prompt)
        future = self._cache.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._cache[key] = future
            try:
                response = await self._llms[adapter].acomplete(prompt)
                future.set_result(str(response.text))
            except BaseException as exc:
                del self._cache[key]
                future.set_exception(exc)
                future.exception()  # retrieved here; the caller re-raises below
                raise
        return await asyncio.shield(future)


async def _close(llm: Any) -> None:
    aclose = getattr(llm, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(llm, "close", None)
    if close is not None:
        close()


@dataclass
class _Settings:
    """The execution settings of one run, suite values overridden by RunOptions."""

    concurrency: int
    timeout_s: float
    retries: RetryPolicy
    order_seed: int
    warmup: int
    repeat: int | None
    rpm: dict[str, float | None]
    adapter_concurrency: dict[str, int | None]

    @classmethod
    def of(cls, suite: Suite, o: RunOptions) -> _Settings:
        retries = suite.retries
        if o.max_attempts is not None:
            retries = retries.model_copy(update={"max_attempts": o.max_attempts})
        return cls(
            concurrency=o.concurrency or suite.concurrency,
            timeout_s=o.request_timeout_s or suite.request_timeout_s,
            retries=retries,
            order_seed=suite.order_seed if o.order_seed is None else o.order_seed,
            warmup=suite.warmup if o.warmup is None else o.warmup,
            repeat=o.repeat,
            rpm={a.name: o.rpm or a.rpm for a in suite.candidates},
            adapter_concurrency={a.name: a.concurrency for a in suite.candidates},
        )

    def manifest(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "request_timeout_s": self.timeout_s,
            "retries": self.retries.model_dump(),
            "order_seed": self.order_seed,
            "warmup_requests_per_adapter": self.warmup,
            "repeat": self.repeat,
            "adapter_concurrency": self.adapter_concurrency,
            "rpm": self.rpm,
        }


async def _prepare(llms: dict[str, Any], timeout_s: float) -> dict[str, BaseException]:
    """Resolve models and open connections before the clock starts (``aprepare``).

    An adapter whose set-up fails fails each of its cases with that error, sending nothing.
    """
    broken: dict[str, BaseException] = {}
    for name, llm in llms.items():
        prepare = getattr(llm, "aprepare", None)
        if prepare is not None:
            try:
                await asyncio.wait_for(prepare(), timeout_s)
            except Exception as exc:  # a failing adapter fails its cases, not the run
                broken[name] = exc
    return broken


async def _warm_up(
    suite: Suite, llms: dict[str, Any], settings: _Settings, pools: dict[str, Any]
) -> None:
    """Uncounted requests per adapter (warm caches and connections); failures are ignored."""
    if not settings.warmup or not suite.cases:
        return
    for adapter in suite.candidates:
        if adapter.type.name == "replay":
            continue  # a warm-up would use up recordings
        for i in range(settings.warmup):
            case = suite.cases[i % len(suite.cases)]
            with contextlib.suppress(Exception):
                await send(llms[adapter.name], case, settings.timeout_s, pools.get(adapter.name))


def _lane(name: str, settings: _Settings) -> Lane:
    limit = settings.adapter_concurrency[name]
    rpm = settings.rpm[name]
    return Lane(
        name,
        asyncio.Semaphore(limit) if limit else None,
        RateLimiter(rpm) if rpm else None,
    )


async def _drive(
    suite: Suite,
    cases: tuple[Case, ...],
    llms: dict[str, Any],
    secrets: tuple[str, ...],
    run_id: str,
    settings: _Settings,
    writer: RecordWriter,
    on_record: OnRecord | None,
    outcome: RunOutcome,
    extras: Extras,
) -> dict[str, Any]:
    _warm_up_metrics(suite)
    broken = await _prepare(llms, settings.timeout_s)
    judges = _Judges(llms)
    overall = asyncio.Semaphore(settings.concurrency)
    lanes = {a.name: _lane(a.name, settings) for a in suite.candidates}
    sync_names = [a.name for a in suite.candidates if is_sync_only(llms[a.name])]
    pool = (
        concurrent.futures.ThreadPoolExecutor(
            max_workers=min(settings.concurrency, 64), thread_name_prefix="harness-sync"
        )
        if sync_names
        else None
    )
    pools = {name: pool for name in sync_names}
    await _warm_up(suite, llms, settings, pools)
    rng = random.Random(settings.order_seed)
    policy = settings.retries
    plan = (
        item
        for item in plan_requests(cases, suite.candidates, settings.order_seed, settings.repeat)
        if (item[0].id, item[1].name, item[2]) not in extras.done
    )
    lag = LoopLagMonitor()
    lag_task = asyncio.create_task(lag.run())

    async def one(case: Any, adapter: AdapterConfig, repeat: int, seq: int) -> CaseRecord:
        llm = llms[adapter.name]
        started_at = datetime.now(timezone.utc).isoformat()
        key = cache_key_for(extras, adapter.name, case) if extras.cache is not None else None
        if key is not None:
            hit = extras.cache.get(key)
            if hit is not None:
                reply = Sent(hit.text, [], hit.raw, 0, 0, tuple(hit.chunks))
                return await build_record(
                    case,
                    adapter.name,
                    llm,
                    reply,
                    run_id=run_id,
                    started_at=started_at,
                    secrets=secrets,
                    repeat=repeat,
                    seq=seq,
                    attempts=0,
                    judge=judges,
                    cached=True,
                )
        if adapter.name in broken:
            return await build_record(
                case,
                adapter.name,
                llm,
                broken[adapter.name],
                run_id=run_id,
                started_at=started_at,
                secrets=secrets,
                repeat=repeat,
                seq=seq,
                attempts=0,
            )
        attempts, waited_ns = 0, 0
        while True:
            attempts += 1
            queued = time.perf_counter_ns()
            result: Sent | BaseException
            async with lanes[adapter.name].slot(overall):
                waited_ns += time.perf_counter_ns() - queued
                started_at = datetime.now(timezone.utc).isoformat()
                begin = time.perf_counter_ns()
                try:
                    with replay_context(case.id, repeat):
                        result = await send(llm, case, settings.timeout_s, pools.get(adapter.name))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a failing adapter fails its case, not the run
                    result = exc
                failed_ms = (time.perf_counter_ns() - begin) / 1e6
            if (
                isinstance(result, Sent)
                or attempts >= policy.max_attempts
                or error_kind(result) not in policy.retry_on
            ):
                break
            await asyncio.sleep(backoff_delay(policy, attempts, result, rng))
        record = await build_record(
            case,
            adapter.name,
            llm,
            result,
            run_id=run_id,
            started_at=started_at,
            secrets=secrets,
            repeat=repeat,
            seq=seq,
            attempts=attempts,
            queue_wait_ms=waited_ns / 1e6,
            judge=judges,
            latency_ms=None if isinstance(result, Sent) else failed_ms,
        )
        if isinstance(result, Sent) and key is not None:
            from harness.runner.cache import CachedResponse

            extras.cache.put(
                key,
                CachedResponse.from_reply(
                    result.text,
                    chunks=list(result.chunks),
                    raw=result.raw,
                    streaming_emulated=record.streaming_emulated,
                ),
                adapter_type=adapter.type.name,
            )
        if extras.cassette is not None:
            record_cassette(extras, record, case, result)
        return record

    async def worker() -> None:
        for case, adapter, repeat, seq in plan:  # one shared iterator: never materialised
            record = await one(case, adapter, repeat, seq)
            writer.write(record)
            outcome.add(record)
            if on_record is not None:
                on_record(record)

    # More workers than the overall limit: a worker waiting on one adapter's own limit must
    # not keep requests to the other adapters from going out.
    workers = min(4096, settings.concurrency * max(1, len(suite.candidates)))
    try:
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        lag_task.cancel()
        await asyncio.gather(lag_task, return_exceptions=True)
        await asyncio.gather(*(_close(llm) for llm in llms.values()), return_exceptions=True)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    return {
        **lag.summary(),
        "queue_wait_mean_ms": round(outcome.queue_wait_ms / max(1, outcome.records), 3),
        "sync_adapters_in_threads": sync_names,
    }


def run_suite(
    suite: Suite, options: RunOptions | None = None, on_record: OnRecord | None = None
) -> RunOutcome:
    """Run every case of ``suite`` on every adapter, writing records as they arrive.

    On Ctrl-C the records written so far stay on disk, the manifest says ``interrupted``,
    and KeyboardInterrupt propagates to the caller.
    """
    options = options or RunOptions()
    run_id = options.run_id or new_run_id(suite.name)
    run_dir = options.output_dir / run_id
    settings = _Settings.of(suite, options)

    with EmulatorHandle(suite) as emu:
        resolved = {a.name: emu.options_for(a, resolve=True) for a in suite.adapters}
        secrets = run_secrets(suite, resolved)
        llms = {a.name: build_llm(a, resolved[a.name]) for a in suite.adapters}
        cases = suite.cases
        shard_label = None
        if options.shard is not None:
            from harness.shards import format_shard, select_shard

            cases = select_shard(suite.cases, *options.shard)
            shard_label = format_shard(*options.shard)
        manifest = RunManifest(
            run_id=run_id,
            suite_name=suite.name,
            suite_path=str(suite.path),
            suite_sha256=suite.sha256,
            description=suite.description,
            harness_version=__version__,
            adapters=[
                AdapterInfo(
                    name=a.name,
                    type=a.type.name,
                    model=a.model,
                    served_by=a.served_by,
                    role=a.role,
                    options=redact_options(emu.options_for(a, resolve=False)),
                    streaming_emulated=bool(getattr(llms[a.name], "streaming_emulated", False)),
                )
                for a in suite.adapters
            ],
            case_count=len(cases),
            started_at=datetime.now(timezone.utc).isoformat(),
            versions=versions(),
            machine=machine_info(),
            emulator={
                "config": str(suite.emulator_config or "inline or built-in models"),
                "base_url": emu.base_url,
            }
            if emu.base_url
            else None,
            execution=settings.manifest(),
            shard=shard_label,
        )
        extras = Extras()
        if options.resume:
            manifest, extras.done = resume_run(run_dir, manifest)
        write_manifest(run_dir, manifest)
        outcome = RunOutcome(run_dir=run_dir, manifest=manifest)
        status = "interrupted"
        try:
            with contextlib.ExitStack() as stack:
                if options.cache_path is not None:
                    from harness.runner.cache import AdapterIdentity, ResponseCache

                    extras.cache = stack.enter_context(ResponseCache(options.cache_path))
                    extras.identities = {
                        a.name: AdapterIdentity(
                            a.type.name, a.resolved_options(), served_by=a.served_by
                        )
                        for a in suite.candidates
                    }
                    manifest.execution["cache"] = str(options.cache_path)
                if options.record:
                    from harness.records.cassette import CassetteWriter
                    from harness.records.store import CASSETTE_FILE

                    extras.cassette = stack.enter_context(CassetteWriter(run_dir / CASSETTE_FILE))
                    manifest.execution["record"] = CASSETTE_FILE
                writer = stack.enter_context(RecordWriter(run_dir))
                manifest.harness_lag = asyncio.run(
                    _drive(
                        suite,
                        cases,
                        llms,
                        secrets,
                        run_id,
                        settings,
                        writer,
                        on_record,
                        outcome,
                        extras,
                    )
                )
            if extras.cache is not None:
                manifest.execution["cache_hits"] = extras.cache.hits
                manifest.execution["cache_misses"] = extras.cache.misses
            status = (
                "failed"
                if outcome.records and outcome.errored == outcome.records
                else ("completed")
            )
        except (KeyboardInterrupt, asyncio.CancelledError):
            raise KeyboardInterrupt from None
        finally:
            manifest.status = status
            manifest.finished_at = datetime.now(timezone.utc).isoformat()
            write_manifest(run_dir, manifest)
    return outcome
