"""Load mode: throughput against latency for each adapter, at several loads.

Two sweeps, as the load generators of the serving world do: closed loop (N requests in flight
at once, ``--concurrency 1,4,16,64``) and open loop (requests sent at a fixed rate whatever the
replies do, ``--rate 5,10,20``). Each point runs one adapter alone, cycling through the suite's
cases, so adapters never compete for the same machine within a point.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harness.percentiles import percentile
from harness.runner.execute import count_tokens
from harness.runner.send import Sent, is_sync_only, send
from harness.suite.load import AdapterConfig, Suite

__all__ = ["BenchPoint", "bench_adapter", "bench_levels", "bench_point", "run_load"]


@dataclass(frozen=True)
class BenchPoint:
    """One load level of one adapter: what it sustained and how fast each request was."""

    adapter: str
    mode: str  # "concurrency" or "rate"
    load: float  # requests in flight, or requests per second offered
    requests: int
    errors: int
    duration_s: float
    throughput_rps: float
    output_tokens_per_s: float | None
    latency_p50_ms: float | None
    latency_p90_ms: float | None
    latency_p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None
    ttft_emulated: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def run_load(
    suite: Suite,
    llm: Any,
    mode: str,
    load: float,
    requests: int,
    timeout_s: float,
    first: int = 0,
) -> tuple[list[Sent | BaseException], float]:
    """Send ``requests`` at one load level (from case ``first`` on, cycling); each reply or
    error, and the seconds the level took. The measuring half of a point: a distributed bench
    runs it on each worker with its share of the load (``executors/ray_bench.py``)."""
    cases = suite.cases
    results: list[Sent | BaseException] = []
    pool = None
    if is_sync_only(llm):
        import concurrent.futures

        # A thread for every request that can be in flight: the load level's concurrency, or
        # at a fixed rate every request (in flight at once if the replies are slow enough).
        # Threads start only when needed; a request waiting for one would not be sent on time.
        in_flight = int(load) if mode == "concurrency" else requests
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, in_flight))

    async def one(i: int) -> None:
        try:
            results.append(await send(llm, cases[(first + i) % len(cases)], timeout_s, pool))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an error is a data point of the curve, not a crash
            results.append(exc)

    start = time.perf_counter()
    if mode == "concurrency":
        counter = iter(range(requests))

        async def worker() -> None:
            for i in counter:
                await one(i)

        await asyncio.gather(*(worker() for _ in range(int(load))))
    else:
        interval = 1.0 / load
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        tasks = []
        for i in range(requests):
            delay = t0 + i * interval - loop.time()  # absolute schedule: no drift
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    duration = time.perf_counter() - start
    if pool is not None:
        pool.shutdown(wait=False)
    return results, duration


def bench_point(
    adapter: str,
    mode: str,
    load: float,
    results: Sequence[Sent | BaseException],
    duration: float,
    ttft_emulated: bool,
) -> BenchPoint:
    """The figures of one load level from its replies (of one process, or of every worker)."""
    ok = [r for r in results if isinstance(r, Sent)]
    latencies = [(r.end_ns - r.sent_ns) / 1e6 for r in ok]
    ttfts = [(r.chunk_ns[0] - r.sent_ns) / 1e6 for r in ok if r.chunk_ns]
    tokens = sum(count_tokens(r.text, r.raw)[0] or 0 for r in ok)
    return BenchPoint(
        adapter=adapter,
        mode=mode,
        load=load,
        requests=len(results),
        errors=len(results) - len(ok),
        duration_s=round(duration, 4),
        throughput_rps=len(ok) / duration if duration > 0 else 0.0,
        output_tokens_per_s=tokens / duration if duration > 0 and ok else None,
        latency_p50_ms=percentile(latencies, 50),
        latency_p90_ms=percentile(latencies, 90),
        latency_p99_ms=percentile(latencies, 99),
        ttft_p50_ms=percentile(ttfts, 50),
        ttft_p99_ms=percentile(ttfts, 99),
        ttft_emulated=ttft_emulated,
    )


async def _point(
    suite: Suite,
    adapter: AdapterConfig,
    llm: Any,
    mode: str,
    load: float,
    requests: int,
    timeout_s: float,
) -> BenchPoint:
    results, duration = await run_load(suite, llm, mode, load, requests, timeout_s)
    emulated = bool(getattr(llm, "streaming_emulated", False))
    return bench_point(adapter.name, mode, load, results, duration, emulated)


async def bench_adapter(
    suite: Suite,
    adapter: AdapterConfig,
    llm: Any,
    *,
    concurrency: Sequence[int] = (),
    rates: Sequence[float] = (),
    requests: int,
    timeout_s: float,
    on_point: Callable[[BenchPoint], None] | None = None,
) -> list[BenchPoint]:
    """Every requested load level for one adapter, lightest first."""
    prepare = getattr(llm, "aprepare", None)
    if prepare is not None:
        await prepare()
    # one uncounted request warms connections and lazy imports
    await _point(suite, adapter, llm, "concurrency", 1, 1, timeout_s)
    points = []
    for mode, load in bench_levels(concurrency, rates):
        point = await _point(suite, adapter, llm, mode, load, requests, timeout_s)
        points.append(point)
        if on_point is not None:
            on_point(point)
    return points


def bench_levels(concurrency: Sequence[int], rates: Sequence[float]) -> list[tuple[str, float]]:
    """The load levels of a sweep, lightest first: closed loop, then open loop."""
    levels = [("concurrency", float(c)) for c in sorted(concurrency)]
    return levels + [("rate", float(r)) for r in sorted(rates)]
