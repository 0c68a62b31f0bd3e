"""Timing accuracy: the harness's measured TTFT and latency against the injected truth, beside a
bare aiohttp client's error on the same server in the same run.

Run: python benchmarks/bench_accuracy.py   (about 30 s; the emulator runs in its own process)

The model streams 16 tokens: the first after 100 ms, then one every 10 ms (total 250 ms).
The bare client's error is the physical floor (timers, loopback, a shared CPU); the target is
the harness within +0.5 ms of it at the median, at concurrency 1 and 64.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from _emulator import emulator_process  # benchmarks/_emulator.py, beside this script

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TTFT_MS, ITL_MS, TOKENS = 100.0, 10.0, 16
TOTAL_MS = TTFT_MS + (TOKENS - 1) * ITL_MS
ANSWER = " ".join(f"w{i}" for i in range(TOKENS))
CONFIG = {
    "models": [
        {
            "name": "timed",
            "slug": "timed",
            "default": ANSWER,
            "latency": {"delay_ms": TTFT_MS, "per_token_ms": ITL_MS},
        }
    ]
}


async def bare(api_base: str, concurrency: int, requests: int) -> tuple[list[float], list[float]]:
    """TTFT and latency errors (ms) of a bare aiohttp SSE client."""
    ttft_err: list[float] = []
    lat_err: list[float] = []
    body = {"model": "timed", "prompt": "x", "stream": True}
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:
        counter = iter(range(requests))

        async def worker() -> None:
            for _ in counter:
                start = time.perf_counter_ns()
                first = None
                async with session.post(api_base + "/completions", json=body) as resp:
                    async for line in resp.content:
                        if line.startswith(b"data: ") and b"[DONE]" not in line:
                            event = json.loads(line[6:])
                            if first is None and event["choices"] and event["choices"][0]["text"]:
                                first = time.perf_counter_ns()
                end = time.perf_counter_ns()
                assert first is not None
                ttft_err.append((first - start) / 1e6 - TTFT_MS)
                lat_err.append((end - start) / 1e6 - TOTAL_MS)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ttft_err, lat_err


def harness(api_base: str, concurrency: int, requests: int) -> tuple[list[float], list[float]]:
    from harness import RunOptions, load_suite, run_suite
    from harness.records.store import read_records

    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite.yaml"
        suite.write_text(
            f"name: accuracy\nconcurrency: {concurrency}\nadapters:\n"
            f"  timed: {{type: openai-compatible, model: timed, api_base: '{api_base}', "
            "api_key: x}\ncases: [{id: x, prompt: x}]\n"
        )
        outcome = run_suite(
            load_suite(suite), RunOptions(output_dir=Path(tmp), run_id="r", repeat=requests)
        )
        records = [r for r in read_records(outcome.run_dir) if r.error is None]
        assert len(records) == requests
        return (
            [r.ttft_ms - TTFT_MS for r in records if r.ttft_ms is not None],
            [r.latency_ms - TOTAL_MS for r in records if r.latency_ms is not None],
        )


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):+.2f} ms"


def main() -> None:
    rows: list[dict[str, Any]] = []
    with emulator_process(CONFIG, openai=True) as (api_base, _):
        harness(api_base, 4, 8)  # warm imports
        for concurrency, requests in ((1, 60), (64, 640)):
            b_ttft, b_lat = asyncio.run(bare(api_base, concurrency, requests))
            h_ttft, h_lat = harness(api_base, concurrency, requests)
            rows.append(
                {
                    "concurrency": concurrency,
                    "bare_ttft": b_ttft,
                    "bare_lat": b_lat,
                    "h_ttft": h_ttft,
                    "h_lat": h_lat,
                }
            )
    print(f"# measured minus injected (TTFT {TTFT_MS:g} ms, total {TOTAL_MS:g} ms), median")
    for r in rows:
        dt = statistics.median(r["h_ttft"]) - statistics.median(r["bare_ttft"])
        dl = statistics.median(r["h_lat"]) - statistics.median(r["bare_lat"])
        print(
            f"concurrency {r['concurrency']:>2}: TTFT error bare {_fmt(r['bare_ttft'])}, harness "
            f"{_fmt(r['h_ttft'])} ({dt:+.2f} ms); latency error bare {_fmt(r['bare_lat'])}, "
            f"harness {_fmt(r['h_lat'])} ({dl:+.2f} ms)"
        )


if __name__ == "__main__":
    main()
