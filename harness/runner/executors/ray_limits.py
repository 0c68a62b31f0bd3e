"""Per-adapter limits that hold across every Ray worker together: one actor owns them.

An adapter's ``rpm`` is a schedule of turns the actor hands out (a turn every 60/rpm seconds,
reserved in order, whichever worker asks); its ``concurrency`` is a semaphore in the actor,
with each worker's holdings counted so the driver can give back the slots of a worker that
died. Only adapters that set a limit use the actor (one round trip per request for each
limit); the run's overall concurrency is split between the workers instead (no round trip).
Why one actor rather than budgets split across workers: docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

from harness.runner.scheduler import Lane

__all__ = ["LimitsActor", "SharedRate", "SharedSlot", "shared_lane_maker"]

Limits = dict[str, tuple[int | None, float | None]]
"""adapter → (concurrency, rpm), either absent."""


class LimitsActor:
    """The run's shared limits (made a Ray actor by the driver; async, so waits overlap)."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._next_s: dict[str, float] = {}
        self._held: dict[str, Counter[str]] = {}

    def _semaphore(self, name: str) -> asyncio.Semaphore:
        # made on first use, inside the actor's event loop
        if name not in self._semaphores:
            self._semaphores[name] = asyncio.Semaphore(self._limits[name][0] or 1)
        return self._semaphores[name]

    async def acquire(self, name: str, worker: str) -> None:
        await self._semaphore(name).acquire()
        self._held.setdefault(worker, Counter())[name] += 1

    async def release(self, name: str, worker: str) -> None:
        held = self._held.get(worker)
        if held is not None and held[name] > 0:
            held[name] -= 1
            self._semaphore(name).release()

    async def release_all(self, worker: str) -> int:
        """Give back every slot ``worker`` holds (it died holding them); how many."""
        held = self._held.pop(worker, Counter())
        for name, count in held.items():
            for _ in range(count):
                self._semaphore(name).release()
        return sum(held.values())

    async def reserve(self, name: str) -> float:
        """Seconds until the caller's turn to send to ``name`` (its turn is reserved now)."""
        rpm = self._limits[name][1]
        if not rpm:
            return 0.0
        now = time.monotonic()
        slot = max(now, self._next_s.get(name, 0.0))
        self._next_s[name] = slot + 60.0 / rpm
        return slot - now


class SharedSlot:
    """One of an adapter's concurrency slots, held in the limits actor (an async context)."""

    def __init__(self, actor: Any, name: str, worker: str) -> None:
        self._actor, self._name, self._worker = actor, name, worker

    async def __aenter__(self) -> None:
        ref = self._actor.acquire.remote(self._name, self._worker)
        try:
            await ref
        except asyncio.CancelledError:
            # the actor may still grant the slot: give it back once it does
            asyncio.ensure_future(self._release_after(ref))
            raise

    async def _release_after(self, ref: Any) -> None:
        with contextlib.suppress(Exception):
            await ref
            await self._actor.release.remote(self._name, self._worker)

    async def __aexit__(self, *exc: object) -> None:
        await self._actor.release.remote(self._name, self._worker)


class SharedRate:
    """An adapter's turn to send, reserved in the limits actor (a lane's ``rate``)."""

    def __init__(self, actor: Any, name: str) -> None:
        self._actor, self._name = actor, name

    async def acquire(self) -> None:
        delay_s: float = await self._actor.reserve.remote(self._name)
        if delay_s > 0:
            await asyncio.sleep(delay_s)


def shared_lane_maker(actor: Any, worker: str) -> Any:
    """A ``make_lane`` for the Driver: lanes whose limits live in ``actor``."""

    def make_lane(name: str, concurrency: int | None, rpm: float | None) -> Lane:
        return Lane(
            name,
            SharedSlot(actor, name, worker) if concurrency else None,
            SharedRate(actor, name) if rpm else None,
        )

    return make_lane
