"""How fast the emulator answers: requests/s, injected-delay overshoot and streaming TTFT error.

Run ``python benchmarks/bench_emulator.py`` (about 35 s, loopback only). The server runs
in a child process, so the figures are the emulator's and not the GIL shared with the
bare aiohttp client driving it; ``--in-process`` measures the thread setup tests use.
The Gradient figures use ``POST /api/models/{id}/complete``; the streaming figures use
``POST /v1/completions`` with ``stream: true`` and a bare aiohttp SSE client that reads
every event up to ``data: [DONE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_SIXTEEN = " ".join(f"token{i}" for i in range(16))
CONFIG: dict[str, Any] = {
    "seed": 0,
    "models": [
        {"name": "fast", "slug": "fast", "default": "a short simulated answer of eight tokens"},
        {"name": "delayed", "slug": "delayed", "latency": {"delay_ms": 100}},
        {
            "name": "ruled",
            "slug": "ruled",
            "responses": [{"regex": rf"^never{i}$", "answer": "no"} for i in range(20)]
            + [{"regex": r"^q(\d+)$", "answer": "answer {{ match[1] }}"}],
        },
        {"name": "stream16", "slug": "stream16", "default": _SIXTEEN},
        {
            "name": "ttft100",
            "slug": "ttft100",
            "default": _SIXTEEN,
            "latency": {"delay_ms": 100, "per_token_ms": 10},
        },
    ],
}
STREAM_TOKENS = 16
HEADERS = {"Authorization": "Bearer bench", "x-gradient-workspace-id": "bench"}
_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from harness.emulator import EmulatorConfig, EmulatorServer
server = EmulatorServer(EmulatorConfig.model_validate(json.loads(sys.argv[1])))
print(server.start(), flush=True)
for line in sys.stdin:  # each line asks for this process's CPU seconds so far
    print(time.process_time(), flush=True)
server.stop()
"""


class ServerProcess:
    """The emulator in a child process; stops when its stdin closes."""

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(CONFIG), str(REPO)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        return self

    def cpu_s(self) -> float:
        """CPU seconds the server process has used so far."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("cpu\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def _model_id(name: str) -> str:
    from harness.emulator import EmulatorConfig

    return EmulatorConfig.model_validate(CONFIG).model(name).model_id


class _Result:
    def __init__(self, rps: float, latencies_s: list[float], sent: int) -> None:
        self.rps = rps
        self.latencies_s = latencies_s
        self.sent = sent


async def _load(
    base_url: str, model: str, concurrency: int, duration_s: float, warmup_s: float = 0.5
) -> _Result:
    """Closed loop: ``concurrency`` workers each send the next request when one returns."""
    url = f"{base_url}/models/{_model_id(model)}/complete"
    connector = aiohttp.TCPConnector(limit=concurrency)
    latencies: list[float] = []
    errors = sent = 0
    async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:
        start = time.perf_counter()
        measure_from = start + warmup_s
        stop_at = measure_from + duration_s

        async def worker(w: int) -> None:
            nonlocal errors, sent
            i = 0
            while True:
                began = time.perf_counter()
                if began >= stop_at:
                    return
                async with session.post(url, json={"query": f"q{w * 100_000 + i}"}) as response:
                    await response.read()
                    ok = response.status == 200
                done = time.perf_counter()
                sent += 1
                if not ok:
                    errors += 1
                elif began >= measure_from and done <= stop_at:
                    latencies.append(done - began)
                i += 1

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    if errors:
        raise RuntimeError(f"{errors} requests failed")
    return _Result(len(latencies) / duration_s, latencies, sent)


def _measure(
    base_url: str, model: str, concurrency: int, duration_s: float, cpu: Callable[[], float]
) -> tuple[_Result, float]:
    """One load run, and the server's CPU microseconds per request during it."""
    before = cpu()
    result = asyncio.run(_load(base_url, model, concurrency, duration_s))
    return result, (cpu() - before) / result.sent * 1e6


def _run(base_url: str, label: str, duration_s: float, cpu: Callable[[], float]) -> list[str]:
    lines = [f"## {label}"]
    for model in ("fast", "ruled"):
        for concurrency in (64, 256):
            result, cpu_us = _measure(base_url, model, concurrency, duration_s, cpu)
            p50 = statistics.median(result.latencies_s) * 1000
            lines.append(
                f"{model:<5} model, concurrency {concurrency:>3}: {result.rps:6.0f} req/s, "
                f"median latency {p50:5.1f} ms, server CPU {cpu_us:4.0f} us/request"
            )
    result, _ = _measure(base_url, "delayed", 256, duration_s, cpu)
    p50, p99 = (statistics.quantiles(result.latencies_s, n=100)[i] * 1000 for i in (49, 98))
    lines.append(
        f"100 ms injected delay, concurrency 256: median {p50:.1f} ms "
        f"(+{p50 - 100:.1f} ms over the delay), p99 {p99:.1f} ms, "
        f"{len(result.latencies_s)} requests"
    )
    return lines


async def _stream_load(
    root_url: str, model: str, concurrency: int, duration_s: float, warmup_s: float = 0.5
) -> _Result:
    """Closed loop of streaming completions; ``latencies_s`` holds each time to first token."""
    url = f"{root_url}/v1/completions"
    connector = aiohttp.TCPConnector(limit=concurrency)
    ttfts: list[float] = []
    errors = sent = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        measure_from = start + warmup_s
        stop_at = measure_from + duration_s

        async def worker(w: int) -> None:
            nonlocal errors, sent
            i = 0
            while True:
                began = time.perf_counter()
                if began >= stop_at:
                    return
                body = {"model": model, "prompt": f"q{w * 100_000 + i}", "stream": True}
                first = 0.0
                events = 0
                async with session.post(url, json=body) as response:
                    # The bare minimum an SSE client does: stamp the first event, count
                    # events (each ends in a blank line), stop after `data: [DONE]`.
                    async for data in response.content.iter_any():
                        if not first:
                            first = time.perf_counter()
                        events += data.count(b"\n\n")
                        if data.endswith(b"data: [DONE]\n\n"):
                            break
                    ok = response.status == 200 and events == STREAM_TOKENS + 2  # finish, DONE
                done = time.perf_counter()
                sent += 1
                if not ok:
                    errors += 1
                elif began >= measure_from and done <= stop_at:
                    ttfts.append(first - began)
                i += 1

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    if errors:
        raise RuntimeError(f"{errors} streaming requests failed")
    return _Result(len(ttfts) / duration_s, ttfts, sent)


def _run_streaming(
    root_url: str, label: str, duration_s: float, cpu: Callable[[], float]
) -> list[str]:
    lines = [f"## {label}: streaming /v1/completions, {STREAM_TOKENS} tokens, one per SSE event"]
    before = cpu()
    result = asyncio.run(_stream_load(root_url, "stream16", 64, duration_s))
    cpu_us = (cpu() - before) / result.sent * 1e6
    lines.append(
        f"zero delay, concurrency  64: {result.rps:6.0f} streams/s "
        f"({result.rps * (STREAM_TOKENS + 2):6.0f} events/s), median TTFT "
        f"{statistics.median(result.latencies_s) * 1000:5.1f} ms, "
        f"server CPU {cpu_us:4.0f} us/stream"
    )
    for concurrency in (1, 64):
        # one at a time, a 100 ms + 15 x 10 ms stream: run longer for enough samples
        seconds = duration_s * (3 if concurrency == 1 else 1)
        result = asyncio.run(_stream_load(root_url, "ttft100", concurrency, seconds))
        errors_ms = [t * 1000 - 100 for t in result.latencies_s]
        p50 = statistics.median(errors_ms)
        p99 = statistics.quantiles(errors_ms, n=100)[98] if len(errors_ms) > 1 else p50
        lines.append(
            f"100 ms injected TTFT (then 10 ms/token), concurrency {concurrency:>3}: TTFT error "
            f"median {p50:+.2f} ms, p99 {p99:+.2f} ms, min {min(errors_ms):+.2f} ms, "
            f"{len(errors_ms)} streams"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument(
        "--in-process", action="store_true", help="also measure the server in a thread here"
    )
    parser.add_argument(
        "--only",
        choices=["gradient", "streaming"],
        help="run only the Gradient (complete) or only the streaming (OpenAI SSE) figures",
    )
    args = parser.parse_args()
    print(
        f"# emulator benchmark: Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"load average {os.getloadavg()[0]:.2f} before start",
        flush=True,
    )
    label = "server in a child process"
    with ServerProcess() as server:
        root_url = server.base_url.removesuffix("/api")
        if args.only != "streaming":
            print("\n".join(_run(server.base_url, label, args.duration, server.cpu_s)), flush=True)
        if args.only != "gradient":
            lines = _run_streaming(root_url, label, args.duration, server.cpu_s)
            print("\n".join(lines), flush=True)
    if args.in_process:
        from harness.emulator import EmulatorConfig, EmulatorServer

        # Server and client share one process here; its CPU time is reported for both.
        in_process = EmulatorServer(EmulatorConfig.model_validate(CONFIG))
        with in_process as base_url:
            label = "server in a thread of the client's process (CPU: both)"
            if args.only != "streaming":
                print("\n".join(_run(base_url, label, args.duration, time.process_time)))
            if args.only != "gradient":
                lines = _run_streaming(in_process.root_url, label, args.duration, time.process_time)
                print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
