"""Scheduling pieces: the fair seeded plan, backoff, rate limiting, lanes, loop lag."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from harness.errors import RateLimitedError, ServerError
from harness.runner.plan import plan_requests
from harness.runner.scheduler import (
    Lane,
    LoopLagMonitor,
    RateLimiter,
    backoff_delay,
    error_kind,
)
from harness.suite.model import RetryPolicy


@dataclass(frozen=True)
class _Case:
    id: str
    repeat: int = 1


@dataclass(frozen=True)
class _Adapter:
    name: str


CASES = [_Case(f"c{i}") for i in range(200)]
ADAPTERS = [_Adapter("v1"), _Adapter("v2")]


def test_plan_is_case_by_case_and_seeded() -> None:
    plan = list(plan_requests(CASES, ADAPTERS, seed=5, repeat=None))  # type: ignore[arg-type]
    assert [seq for *_, seq in plan] == list(range(400))
    # interleaved: each case's two requests are adjacent
    for i in range(0, 400, 2):
        assert plan[i][0] is plan[i + 1][0]
        assert {plan[i][1].name, plan[i + 1][1].name} == {"v1", "v2"}
    again = list(plan_requests(CASES, ADAPTERS, seed=5, repeat=None))  # type: ignore[arg-type]
    assert [(c.id, a.name) for c, a, _, _ in plan] == [(c.id, a.name) for c, a, _, _ in again]
    other = list(plan_requests(CASES, ADAPTERS, seed=6, repeat=None))  # type: ignore[arg-type]
    assert [a.name for _, a, _, _ in plan] != [a.name for _, a, _, _ in other]


def test_plan_is_fair_about_who_goes_first() -> None:
    plan = list(plan_requests(CASES, ADAPTERS, seed=1, repeat=None))  # type: ignore[arg-type]
    firsts = Counter(plan[i][1].name for i in range(0, len(plan), 2))
    assert 70 <= firsts["v1"] <= 130  # 200 fair coin flips


def test_plan_repeats() -> None:
    cases = [_Case("a", repeat=3), _Case("b")]
    plan = list(plan_requests(cases, ADAPTERS[:1], seed=0, repeat=None))  # type: ignore[arg-type]
    assert [(c.id, r) for c, _, r, _ in plan] == [("a", 0), ("a", 1), ("a", 2), ("b", 0)]
    forced = list(plan_requests(cases, ADAPTERS[:1], seed=0, repeat=2))  # type: ignore[arg-type]
    assert [(c.id, r) for c, _, r, _ in forced] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]


def test_backoff_grows_caps_and_honours_retry_after() -> None:
    policy = RetryPolicy(backoff_s=0.5, max_backoff_s=3, jitter=0.0)
    rng = random.Random(0)
    err = ServerError("boom", status=500)
    assert [backoff_delay(policy, n, err, rng) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    limited = RateLimitedError("slow down", retry_after_s=7)
    assert backoff_delay(policy, 1, limited, rng) == 7
    jittered = RetryPolicy(backoff_s=1, jitter=0.5)
    delays = [backoff_delay(jittered, 1, err, rng) for _ in range(50)]
    assert all(1.0 <= d <= 1.5 for d in delays) and len(set(delays)) > 1


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (RateLimitedError("x"), "rate_limited"),
        (ServerError("x"), "server_error"),
        (asyncio.TimeoutError(), "timeout"),
        (ConnectionRefusedError(), "connection"),
        (ValueError("x"), "other"),
    ],
)
def test_error_kinds(exc: BaseException, kind: str) -> None:
    assert error_kind(exc) == kind


def test_rate_limiter_spaces_requests() -> None:
    async def go() -> float:
        limiter = RateLimiter(rpm=60_000 / 20)  # one every 20 ms
        start = time.perf_counter()
        await asyncio.gather(*(limiter.acquire() for _ in range(6)))
        return time.perf_counter() - start

    assert asyncio.run(go()) >= 0.1 - 0.005  # 5 intervals after the first: a lower bound only


def test_lane_limits_its_own_concurrency() -> None:
    async def go() -> int:
        lane = Lane("a", asyncio.Semaphore(2))
        overall = asyncio.Semaphore(10)
        inside = peak = 0

        async def one() -> None:
            nonlocal inside, peak
            async with lane.slot(overall):
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0.01)
                inside -= 1

        await asyncio.gather(*(one() for _ in range(10)))
        return peak

    assert asyncio.run(go()) == 2


def test_loop_lag_monitor_sees_a_blocked_loop() -> None:
    async def go() -> dict[str, float | int]:
        monitor = LoopLagMonitor(interval_s=0.005)
        task = asyncio.create_task(monitor.run())
        await asyncio.sleep(0.02)
        time.sleep(0.1)  # block the loop on purpose
        await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return monitor.summary()

    summary = asyncio.run(go())
    assert summary["loop_lag_max_ms"] >= 90
