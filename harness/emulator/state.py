"""What both APIs of one emulator share: compiled models, prompt hits, stats and timed waits.

Everything here is touched only on the server's event loop. Waits are absolute
``loop.time()`` deadlines, so a stream's per-token delays do not accumulate drift, and every
wait can be cut short by :meth:`EmulatorState.release_all` when the server stops.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from harness.emulator.profiles import EmulatorConfig
from harness.emulator.simulate import CompiledModel, compile_models

__all__ = ["EmulatorState", "Stats", "json_bytes"]


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON, as every response body is written."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class Stats:
    """Request counters for ``GET /_emulator/stats``.

    A request is counted once, when it ends, under the status it was answered with: a
    stream is 200 once its headers are out, even when it is cut; a connection closed by a
    disconnect fault before any response is status 0. ``disconnected`` counts disconnect
    faults, streamed or not. ``wrong_answers`` counts, by model id, the answers that models
    with a ``skill`` drew wrong (counted when decided, before any wait or fault that follows).
    """

    def __init__(self) -> None:
        self.by_status: Counter[int] = Counter()
        self.by_route: Counter[str] = Counter()
        self.by_model: dict[str, Counter[int]] = {}
        self.in_flight = 0
        self.disconnected = 0
        self.wrong_answers: Counter[str] = Counter()

    def count(self, route: str, model_id: str | None, status: int) -> None:
        self.by_status[status] += 1
        self.by_route[route] += 1
        if model_id is not None:
            per_model = self.by_model.get(model_id)
            if per_model is None:
                per_model = self.by_model[model_id] = Counter()
            per_model[status] += 1

    def answered(self, model_id: str, correct: bool | None) -> None:
        """Note a decided answer: a wrong one (``correct`` False) is counted for its model."""
        if correct is False:
            self.wrong_answers[model_id] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": sum(self.by_status.values()),
            "in_flight": self.in_flight,
            "disconnected": self.disconnected,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_route": dict(sorted(self.by_route.items())),
            "by_model": {
                model_id: {str(k): v for k, v in sorted(counts.items())}
                for model_id, counts in sorted(self.by_model.items())
            },
            "wrong_answers": dict(sorted(self.wrong_answers.items())),
        }


class EmulatorState:
    """The models, prompt hit counts, stats and pending waits of one running emulator."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.models: dict[str, CompiledModel] = compile_models(config)
        self.access_token = config.access_token.encode() if config.access_token else None
        self.stats = Stats()
        self._hits: dict[tuple[str, str], int] = {}
        self._sleepers: set[asyncio.Future[bool]] = set()
        self._stopping = False

    def next_hit(self, model_id: str, prompt: str) -> int:
        """How many earlier requests asked ``model_id`` for ``prompt`` (then count this one)."""
        key = (model_id, prompt)
        n = self._hits.get(key, 0)
        self._hits[key] = n + 1
        return n

    def reset(self) -> None:
        """Forget request counts and prompt hits, so the next requests replay from the start."""
        self._hits.clear()
        in_flight = self.stats.in_flight
        self.stats = Stats()
        self.stats.in_flight = in_flight

    async def sleep_until(self, deadline: float) -> bool:
        """Wait until ``loop.time() >= deadline``; False when woken early by :meth:`release_all`.

        A deadline already past returns at once, without yielding to the loop.
        """
        if self._stopping:
            return False
        loop = asyncio.get_running_loop()
        if deadline <= loop.time():
            return True
        fut: asyncio.Future[bool] = loop.create_future()
        handle = loop.call_at(deadline, _resolve, fut)
        self._sleepers.add(fut)
        try:
            return await fut
        finally:
            handle.cancel()
            self._sleepers.discard(fut)

    def release_all(self) -> None:
        """Wake every waiting request (delays, hangs, streams) so shutdown never blocks on them."""
        self._stopping = True
        for fut in list(self._sleepers):
            if not fut.done():
                fut.set_result(False)


def _resolve(fut: asyncio.Future[bool]) -> None:
    if not fut.done():
        fut.set_result(True)
