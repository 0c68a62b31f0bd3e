"""Judge calls (``llm_judge``): cached per run, sent like a case's request, counted for run.json.

A judge adapter is an adapter like any other: each call takes the judge's lane (its own
``concurrency`` and ``rpm``, shared with its cases when it is also a candidate) and an overall
slot, has the run's request timeout, and is retried with backoff as the run's retry policy says.
A judge that still cannot answer raises :class:`~harness.metrics.base.JudgeError`; the runner
then records the case as errored (origin "judge"), not failed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from harness.metrics.base import JudgeError
from harness.runner.scheduler import Lane, retry_delay
from harness.runner.settings import RunSettings
from harness.suite.load import AdapterConfig, Case

__all__ = [
    "CachedJudges",
    "JudgeLimits",
    "JudgeTally",
    "OnJudgeCall",
    "judge_limits",
    "judges_block",
]

OnJudgeCall = Callable[[str, str, str | BaseException, int], None]
"""Told of each judge request sent: (judge adapter, prompt, reply or exception, ns it took)."""


@dataclass(frozen=True)
class JudgeLimits:
    """A judge adapter's own limits, as its suite entry (or ``--rpm``) sets them."""

    rpm: float | None = None
    concurrency: int | None = None


@dataclass
class JudgeTally:
    """What one judge adapter was asked in a run.

    ``calls``: judgements requested of it (cache misses), each taking one request plus its
    ``retries``; ``cache_hits``: judgements served from the run's cache (no request);
    ``errors``: calls that failed after every attempt (each leaves its cases errored).
    """

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors: int = 0


def judge_limits(
    adapters: Iterable[AdapterConfig], cases: Iterable[Case], rpm: float | None = None
) -> dict[str, JudgeLimits]:
    """The judge adapters (named by an llm_judge expectation, or ``role: judge``) and limits.

    ``rpm`` (the ``--rpm`` flag) overrides each adapter's own, as it does for candidates.
    """
    named = {
        judge
        for case in cases
        for e in case.expectations
        for judge in e.metric.judge_adapters(e.options)
    }
    return {
        a.name: JudgeLimits(rpm or a.rpm, a.concurrency)
        for a in adapters
        if a.role == "judge" or a.name in named
    }


def judges_block(
    limits: Mapping[str, JudgeLimits],
    settings: RunSettings,
    tallies: Mapping[str, JudgeTally] | None = None,
) -> dict[str, dict[str, Any]]:
    """run.json's ``execution.judges``: per judge adapter, its limits and what it was asked."""
    tallies = tallies or {}
    return {
        name: {
            "rpm": limits[name].rpm if name in limits else None,
            "concurrency": limits[name].concurrency if name in limits else None,
            "request_timeout_s": settings.timeout_s,
            "max_attempts": settings.retries.max_attempts,
            **asdict(tallies.get(name, JudgeTally())),
        }
        for name in dict.fromkeys([*limits, *tallies])
    }


class CachedJudges:
    """The JudgeContext a run gives LLM-as-judge metrics: judge adapters by name, cached.

    The cache is keyed by (adapter, prompt), so the same judgement is asked once per run (a
    failed one is forgotten, so a later case asks again). ``lanes`` are the run's lanes by
    adapter (an adapter missing from it gets a lane without limits); ``overall`` the run's
    overall limit. ``on_call`` hears of every request actually sent, retries included
    (adapter, prompt, reply or exception, ns taken): ``--record`` writes it to the cassette,
    so a replayed run re-scores offline, retries and all. ``tallies`` count each judge's calls.
    """

    def __init__(
        self,
        llms: Mapping[str, Any],
        settings: RunSettings,
        *,
        lanes: Mapping[str, Lane] | None = None,
        overall: asyncio.Semaphore | None = None,
        rng: random.Random | None = None,
        on_call: OnJudgeCall | None = None,
    ) -> None:
        self._llms = llms
        self._settings = settings
        self._lanes = dict(lanes or {})
        self._overall = overall or asyncio.Semaphore(settings.concurrency)
        self._rng = rng or random.Random(settings.order_seed)
        self._on_call = on_call
        self._cache: dict[tuple[str, str], asyncio.Future[str]] = {}
        self.tallies: dict[str, JudgeTally] = {}

    async def complete(self, adapter: str, prompt: str) -> str:
        """The judge's reply to ``prompt``; raises JudgeError when it could not answer."""
        key = (adapter, prompt)
        tally = self.tallies.setdefault(adapter, JudgeTally())
        future = self._cache.get(key)
        if future is not None:
            tally.cache_hits += 1
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._cache[key] = future
        tally.calls += 1
        try:
            reply = await self._ask(adapter, prompt, tally)
        except BaseException as exc:
            del self._cache[key]
            tally.errors += isinstance(exc, JudgeError)
            future.set_exception(exc)
            future.exception()  # retrieved here; the caller re-raises below
            raise
        future.set_result(reply)
        return reply

    async def _ask(self, adapter: str, prompt: str, tally: JudgeTally) -> str:
        """Ask within the judge's lane and the overall limit; retry what the policy allows."""
        llm = self._llms[adapter]
        lane = self._lanes.get(adapter) or self._lanes.setdefault(adapter, Lane(adapter))
        attempts = 0
        while True:
            async with lane.slot(self._overall):
                attempts += 1
                begin = time.perf_counter_ns()
                outcome: str | Exception
                try:
                    response = await asyncio.wait_for(
                        llm.acomplete(prompt), self._settings.timeout_s
                    )
                    outcome = str(response.text)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the judge failing errors its cases, not the run
                    outcome = exc
                took_ns = time.perf_counter_ns() - begin
            if self._on_call is not None:
                self._on_call(adapter, prompt, outcome, took_ns)
            if isinstance(outcome, str):
                return outcome
            delay = retry_delay(self._settings.retries, attempts, outcome, self._rng)
            if delay is None:
                raise JudgeError(adapter, outcome, attempts) from outcome
            tally.retries += 1
            await asyncio.sleep(delay)
