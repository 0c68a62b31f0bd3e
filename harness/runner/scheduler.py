"""When a planned request may go out: concurrency limits, rate limits, retries with backoff.

The harness measures its own queueing apart from the model's latency: time spent waiting for a
concurrency slot, a rate-limit turn or a thread is ``queue_wait_ms``, and an event-loop lag
monitor records how late the loop itself ran, so a report can say when the harness, not the
model, was the bottleneck. (What is sent, and in what order, is ``plan.py``'s.)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from harness.errors import AdapterError, RateLimitedError
from harness.suite.model import RetryPolicy

__all__ = [
    "Lane",
    "Pacer",
    "LoopLagMonitor",
    "RateLimiter",
    "backoff_delay",
    "error_kind",
    "retry_delay",
]


class Pacer(Protocol):
    """What a lane waits on for its turn: a :class:`RateLimiter` here, or one shared by the
    workers of a distributed run (``executors/ray_limits.py``)."""

    async def acquire(self) -> None: ...


class RateLimiter:
    """At most ``rpm`` sends per minute, spaced evenly (a turn every 60/rpm seconds)."""

    def __init__(self, rpm: float) -> None:
        self.interval_s = 60.0 / rpm
        self._next = 0.0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self.interval_s  # reserve before sleeping: no lock needed
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class Lane:
    """One adapter's limits: its own concurrency and rate, inside the run's overall limit."""

    name: str
    # an asyncio.Semaphore, or a slot shared by the workers of a distributed run
    semaphore: contextlib.AbstractAsyncContextManager[object] | None = None
    rate: Pacer | None = None

    @classmethod
    def of(cls, name: str, concurrency: int | None, rpm: float | None) -> Lane:
        """The lane of an adapter with these limits (either may be absent: no limit)."""
        return cls(
            name,
            asyncio.Semaphore(concurrency) if concurrency else None,
            RateLimiter(rpm) if rpm else None,
        )

    @contextlib.asynccontextmanager
    async def slot(self, overall: asyncio.Semaphore) -> AsyncIterator[None]:
        # The adapter's own slot first, so a request waiting on a slow, limited adapter never
        # holds one of the run's overall slots that another adapter could use.
        async with self.semaphore or contextlib.nullcontext():
            if self.rate is not None:
                await self.rate.acquire()
            async with overall:
                yield


def error_kind(exc: BaseException) -> str:
    """The retry category of an exception (matches ``RetryPolicy.retry_on``)."""
    if isinstance(exc, AdapterError):
        return exc.kind
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionError | OSError):
        return "connection"
    return "other"


def backoff_delay(
    policy: RetryPolicy, attempt: int, exc: BaseException, rng: random.Random
) -> float:
    """Exponential backoff with jitter after ``attempt`` failed; Retry-After is a floor."""
    delay: float = min(policy.max_backoff_s, policy.backoff_s * 2.0 ** (attempt - 1))
    delay *= 1 + policy.jitter * rng.random()
    if isinstance(exc, RateLimitedError) and exc.retry_after_s is not None:
        delay = max(delay, exc.retry_after_s)
    return delay


def retry_delay(
    policy: RetryPolicy, attempts: int, exc: BaseException, rng: random.Random
) -> float | None:
    """Seconds to wait before trying again after ``attempts`` tries, the last failing with
    ``exc``; None when the policy allows no more (out of attempts, or a kind not retried).

    One policy for a case's requests and for judge calls alike.
    """
    if attempts >= policy.max_attempts or error_kind(exc) not in policy.retry_on:
        return None
    return backoff_delay(policy, attempts, exc, rng)


@dataclass
class LoopLagMonitor:
    """Samples how late the event loop wakes up: the harness's own lag, not the model's."""

    interval_s: float = 0.01
    samples_ms: list[float] = field(default_factory=list)
    max_samples: int = 100_000

    async def run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            lag_ms = (time.perf_counter() - start - self.interval_s) * 1000
            if len(self.samples_ms) < self.max_samples:
                self.samples_ms.append(max(0.0, lag_ms))

    def summary(self) -> dict[str, float | int]:
        if not self.samples_ms:
            return {"samples": 0}
        ordered = sorted(self.samples_ms)
        return {
            "samples": len(ordered),
            "loop_lag_p50_ms": round(statistics.median(ordered), 3),
            "loop_lag_p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
            "loop_lag_max_ms": round(ordered[-1], 3),
        }
