"""Planned requests → CaseRecords: each adapter's lane inside the overall limit, retries with
backoff, the pool of workers, sync-only LLMs in threads, the response cache and cassette, and
failing fast on an adapter whose errors cannot heal.

It knows no run folder, manifest or CLI: ``run_suite`` stores what :meth:`Driver.drive` yields,
and an executor can run one ``Driver`` per worker on its share of the plan.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

from harness.errors import AdapterError, AuthenticationError, ModelNotFoundError
from harness.records import CaseRecord
from harness.records.cassette import replay_context
from harness.runner.durable import (
    CacheAndCassette,
    cache_key_for,
    record_cassette,
    record_judge_call,
)
from harness.runner.execute import build_record
from harness.runner.judges import CachedJudges, JudgeLimits, OnJudgeCall
from harness.runner.plan import PlannedRequest
from harness.runner.scheduler import Lane, LoopLagMonitor, retry_delay
from harness.runner.send import SendTimes, Sent, is_sync_only, send
from harness.runner.settings import RunSettings
from harness.suite.load import AdapterConfig, Case

__all__ = [
    "SYNC_THREAD_PREFIX",
    "CachedJudges",
    "Driver",
    "OnJudgeCall",
    "MakeLane",
    "OnSend",
    "UNHEALABLE_STREAK",
    "unhealable_kind",
]

#: Names of the threads that run sync-only LLMs (a stop may find one stuck in a request).
SYNC_THREAD_PREFIX = "harness-sync"

UNHEALABLE_STREAK = 3
"""Consecutive authentication or model-not-found errors after which an adapter is stopped.

Retrying cannot heal a refused token or a model that does not exist, and each such request
costs a round trip (and, on a real service, may count against an account). After this many
in a row from one adapter, its remaining requests are recorded as errors without being sent
("not sent: adapter failing with authentication errors"). Any other outcome (an answer, a rate
limit, a server error) breaks the streak; rate limits and server errors keep their retries.
"""

OnSend = Callable[[PlannedRequest], None]
"""Called just before each attempt at a planned request is sent (retries included)."""

MakeLane = Callable[[str, "int | None", "float | None"], Lane]
"""(adapter, concurrency, rpm) → its Lane: ``Lane.of`` in one process; an executor whose
workers share an adapter's limits passes one that builds lanes over shared limits."""


def unhealable_kind(exc: BaseException) -> str | None:
    """``"authentication"`` or ``"model not found"`` for errors no retry can heal, else None.

    The harness's own adapters raise :class:`AdapterError`; other llama-index LLMs raise
    their client's errors, recognised by an HTTP ``status_code`` (openai's, for instance).
    """
    if isinstance(exc, AuthenticationError):
        return "authentication"
    if isinstance(exc, ModelNotFoundError):
        return "model not found"
    if isinstance(exc, AdapterError):
        return None
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return "authentication"
    if status == 404:
        return "model not found"
    return None


def _not_sent(kind: str) -> AdapterError:
    """The error recorded for a request not sent because its adapter was stopped."""
    message = f"not sent: adapter failing with {kind} errors"
    if kind == "authentication":
        return AuthenticationError(message, status=None)
    return ModelNotFoundError(message, status=None)


@dataclass(frozen=True)
class _WorkerStopped:
    error: BaseException | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Driver:
    """Sends planned requests to prepared LLMs under a run's limits; yields their CaseRecords.

    ``llms`` holds every adapter of the run by name (judges too: judge metrics reach them);
    the plan's adapters are ``settings.candidates``. ``broken`` maps adapters whose
    preparation failed to the error: their requests become errored records, unsent.
    ``aids`` adds the response cache and the cassette. ``judges`` maps the judge adapters to
    their limits: judge calls take their lanes (a candidate's own when it also judges), the
    overall limit, the request timeout and the retry policy, as cases do (``self.judges``
    counts them). ``make_lane`` builds each lane from the adapter's limits (an executor whose
    workers share limits passes its own). Use it as a context manager (it owns the thread pool
    of sync-only LLMs); closing the LLMs stays with whoever built them.

    After :data:`UNHEALABLE_STREAK` consecutive authentication or model-not-found errors an
    adapter is stopped: ``stopped`` maps it to the kind ("authentication", "model not found"),
    and its requests not yet sent become errored records that say so, with ``attempts`` 0.
    """

    def __init__(
        self,
        llms: Mapping[str, Any],
        settings: RunSettings,
        *,
        run_id: str,
        secrets: tuple[str, ...] = (),
        broken: Mapping[str, BaseException] | None = None,
        aids: CacheAndCassette | None = None,
        judges: Mapping[str, JudgeLimits] | None = None,
        sync_threads: int | None = None,
        make_lane: MakeLane = Lane.of,
    ) -> None:
        self.llms = llms
        self.settings = settings
        self.run_id = run_id
        self.secrets = secrets
        self.broken = dict(broken or {})
        self.aids = aids or CacheAndCassette()
        self.lag = LoopLagMonitor()
        self.sync_adapters = [n for n in settings.candidates if is_sync_only(llms[n])]
        self._lanes = {
            name: make_lane(name, settings.adapter_concurrency[name], settings.rpm[name])
            for name in settings.candidates
        }
        self._overall = asyncio.Semaphore(settings.concurrency)
        self._rng = random.Random(settings.order_seed)  # backoff jitter
        self.judges = CachedJudges(
            llms,
            settings,
            lanes={
                name: self._lanes.get(name) or make_lane(name, limits.concurrency, limits.rpm)
                for name, limits in (judges or {}).items()
            },
            overall=self._overall,
            rng=self._rng,
            on_call=self._record_judge_call if self.aids.cassette is not None else None,
        )
        # One thread per request the run may have in flight (threads start only when needed):
        # a smaller pool would make requests wait for a thread (``sync_threads`` forces one;
        # that wait is queue wait, never latency).
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(
                max_workers=sync_threads or settings.concurrency,
                thread_name_prefix=SYNC_THREAD_PREFIX,
            )
            if self.sync_adapters
            else None
        )
        self._pools = {name: self._pool for name in self.sync_adapters}
        self.stopped: dict[str, str] = {}
        self._streaks: dict[str, int] = {}

    def _record_judge_call(
        self, adapter: str, prompt: str, reply: str | BaseException, took_ns: int
    ) -> None:
        record_judge_call(self.aids, adapter, prompt, reply, took_ns, self.secrets)

    def __enter__(self) -> Driver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def warm_up(self, requests: Iterable[tuple[Case, AdapterConfig]]) -> None:
        """Send uncounted requests one at a time (warm caches and connections); errors ignored."""
        timeout_s = self.settings.timeout_s
        for case, adapter in requests:
            with contextlib.suppress(Exception):
                await send(self.llms[adapter.name], case, timeout_s, self._pools.get(adapter.name))

    async def drive(
        self,
        requests: Iterable[PlannedRequest] | AsyncIterable[PlannedRequest],
        on_send: OnSend | None = None,
    ) -> AsyncGenerator[CaseRecord, None]:
        """Send every request and yield its CaseRecord as it completes (not in plan order).

        Workers pull from ``requests`` one at a time, so a lazy plan is never materialised.
        A failing request is an errored record, never an exception; a bug in the harness
        stops every worker and raises here. Close the iterator early (``aclosing``) and the
        requests in flight are cancelled. ``self.lag`` samples the event loop meanwhile.
        """
        pull = _puller(requests)
        done: asyncio.Queue[CaseRecord | _WorkerStopped] = asyncio.Queue()
        stopping = False

        async def worker() -> None:
            error: BaseException | None = None
            try:
                # `stopping` too, not only cancellation: before Python 3.12 asyncio.wait_for
                # returns a reply that lands with the cancel, and the worker would go on.
                while not stopping and (request := await pull()) is not None:
                    done.put_nowait(await self._record(request, on_send))
            except BaseException as exc:
                error = exc
                raise
            finally:
                done.put_nowait(_WorkerStopped(error))

        # More workers than the overall limit: a worker waiting on one adapter's own limit must
        # not keep requests to the other adapters from going out.
        count = min(4096, self.settings.concurrency * max(1, len(self._lanes)))
        lag_task = asyncio.create_task(self.lag.run())
        workers = [asyncio.create_task(worker()) for _ in range(count)]
        try:
            running = count
            while running:
                item = await done.get()
                if isinstance(item, _WorkerStopped):
                    running -= 1
                    if item.error is not None:
                        raise item.error
                    continue
                yield item
        finally:
            stopping = True
            for task in (lag_task, *workers):
                task.cancel()
            await asyncio.gather(lag_task, *workers, return_exceptions=True)

    async def _record(self, request: PlannedRequest, on_send: OnSend | None) -> CaseRecord:
        case, adapter, repeat, seq = request
        name = adapter.name
        common: dict[str, Any] = {
            "run_id": self.run_id,
            "secrets": self.secrets,
            "repeat": repeat,
            "seq": seq,
        }
        key = cache_key_for(self.aids, name, case) if self.aids.cache is not None else None
        if key is not None:
            hit = self.aids.cache.get(key)
            if hit is not None:
                reply = Sent(hit.text, [], hit.raw, 0, 0, tuple(hit.chunks))
                return await build_record(
                    case,
                    name,
                    self.llms[name],
                    reply,
                    started_at=_now(),
                    attempts=0,
                    judge=self.judges,
                    cached=True,
                    **common,
                )
        if name in self.broken:
            return await build_record(
                case,
                name,
                self.llms[name],
                self.broken[name],
                started_at=_now(),
                attempts=0,
                **common,
            )
        result, sending = await self._send_with_retries(request, on_send)
        record = await build_record(
            case,
            name,
            self.llms[name],
            result,
            started_at=sending.started_at or _now(),
            attempts=sending.attempts,
            queue_wait_ms=sending.waited_ns / 1e6,
            judge=self.judges,
            latency_ms=None if isinstance(result, Sent) else sending.failed_ms,
            **common,
        )
        if isinstance(result, Sent) and key is not None:
            from harness.runner.cache import CachedResponse

            self.aids.cache.put(
                key,
                CachedResponse.from_reply(
                    result.text,
                    chunks=list(result.chunks),
                    raw=result.raw,
                    streaming_emulated=record.streaming_emulated,
                ),
                adapter_type=adapter.type.name,
            )
        if self.aids.cassette is not None and sending.attempts:  # an unsent request: no reply
            # the candidate's answer, even when its judge failed: a replay re-asks the judge
            answered = record.error is not None and record.error.origin == "judge"
            kept = record.model_copy(update={"error": None}) if answered else record
            record_cassette(self.aids, kept, case, result)
        return record

    async def _send_with_retries(
        self, request: PlannedRequest, on_send: OnSend | None
    ) -> tuple[Sent | BaseException, _Sending]:
        """Send within the adapter's lane and the overall limit; retry what the policy allows.

        A stopped adapter sends nothing more: a request not yet tried gets the "not sent"
        error (checked before queueing and again once a slot is free), one already tried
        keeps its last error.
        """
        case, adapter, repeat, _ = request
        name = adapter.name
        llm, lane = self.llms[name], self._lanes[name]
        pool = self._pools.get(name)
        policy, timeout_s = self.settings.retries, self.settings.timeout_s
        sending = _Sending()
        result: Sent | BaseException | None = None
        while True:
            if name in self.stopped:
                return self._stopped_outcome(name, result), sending
            queued = time.perf_counter_ns()
            async with lane.slot(self._overall):
                sending.waited_ns += time.perf_counter_ns() - queued
                if name in self.stopped:  # stopped while this request waited for its turn
                    return self._stopped_outcome(name, result), sending
                sending.attempts += 1
                sending.started_at = _now()
                if on_send is not None:
                    on_send(request)
                begin, times = time.perf_counter_ns(), SendTimes()
                try:
                    with replay_context(case.id, repeat):
                        result = await send(llm, case, timeout_s, pool, times)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a failing adapter fails its case, not the run
                    result = exc
                # A sync-only LLM's wait for a worker thread is queue wait, not its latency.
                thread_wait_ns = times.thread_wait_ns
                sending.waited_ns += thread_wait_ns
                sending.failed_ms = (time.perf_counter_ns() - begin - thread_wait_ns) / 1e6
            self._note_outcome(name, result)
            if isinstance(result, Sent):
                return result, sending
            delay = retry_delay(policy, sending.attempts, result, self._rng)
            if delay is None:
                return result, sending
            await asyncio.sleep(delay)

    def _stopped_outcome(
        self, name: str, last: Sent | BaseException | None
    ) -> Sent | BaseException:
        """A stopped adapter's request: its last error if it was tried, else "not sent"."""
        return last if last is not None else _not_sent(self.stopped[name])

    def _note_outcome(self, name: str, result: Sent | BaseException) -> None:
        """Count the adapter's unhealable errors in a row; stop it at UNHEALABLE_STREAK."""
        kind = None if isinstance(result, Sent) else unhealable_kind(result)
        if kind is None:
            self._streaks[name] = 0
            return
        streak = self._streaks[name] = self._streaks.get(name, 0) + 1
        if streak >= UNHEALABLE_STREAK:
            self.stopped.setdefault(name, kind)


@dataclass
class _Sending:
    """The attempts at one request so far: how many, how long held back, the last one's times."""

    attempts: int = 0
    waited_ns: int = 0
    started_at: str = ""
    failed_ms: float | None = None  # None: nothing was sent


def _puller(
    requests: Iterable[PlannedRequest] | AsyncIterable[PlannedRequest],
) -> Callable[[], Awaitable[PlannedRequest | None]]:
    """One shared source for every worker: the next request, or None when there is none."""
    if isinstance(requests, AsyncIterable):
        iterator = aiter(requests)
        # An async generator refuses a second anext() while suspended: one worker waits in it
        # at a time. Not an asyncio.Lock: its first-come hand-over takes one loop turn per
        # waiter, and once workers queue behind it (the source ran dry once) they stay queued,
        # so one request goes out per loop turn (a Ray worker kept 6 of its 64 in flight).
        # Workers woken by the event all pull in the same turn while the source has requests.
        free = asyncio.Event()
        free.set()

        async def pull_async() -> PlannedRequest | None:
            while not free.is_set():
                await free.wait()
            free.clear()
            try:
                return await anext(iterator, None)
            finally:
                free.set()

        return pull_async
    it = iter(requests)

    async def pull() -> PlannedRequest | None:
        return next(it, None)

    return pull
