"""The Gradient adapter under load, as a ratio to the bare `gradientai` SDK on the same server.

Run: python benchmarks/bench_gradient.py   (about 30 s; the emulator runs in its own process)

1. requests/s at concurrency 64: bare SDK calls from 64 threads vs `harness run` (the whole
   runner: async Gradient adapter, scoring, a flushed record per request).
2. added time per request at concurrency 1: median bare SDK call vs the harness's time per
   request (run duration / requests), both sequential against a zero-delay model.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _emulator import emulator_process  # benchmarks/_emulator.py, beside this script

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
CONFIG: dict[str, Any] = {
    "models": [
        {"name": "base", "slug": "base"},
        {
            "id": ADAPTER_ID,
            "name": "fast",
            "base_model": "base",
            "default": "a short simulated answer of eight tokens",
        },
    ]
}


def _sdk_api(base_url: str) -> Any:
    from gradientai.openapi.client import ApiClient, Configuration
    from gradientai.openapi.client.api.models_api import ModelsApi

    config = Configuration(access_token="bench", host=base_url)
    config.connection_pool_maxsize = 64
    return ModelsApi(ApiClient(config))


def _sdk_call(api: Any) -> None:
    from gradientai.openapi.client.models.complete_model_body_params import (
        CompleteModelBodyParams,
    )

    api.complete_model(
        id=ADAPTER_ID,
        x_gradient_workspace_id="bench",
        complete_model_body_params=CompleteModelBodyParams(query="hello"),
    )


def bare_sdk(base_url: str, threads: int, requests: int) -> tuple[float, list[float]]:
    api = _sdk_api(base_url)
    _sdk_call(api)  # warm the pool
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        for _ in counter:
            t = time.perf_counter()
            _sdk_call(api)
            with lock:
                latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start, latencies


def harness_run(base_url: str, concurrency: int, requests: int) -> tuple[float, list[float]]:
    from harness import RunOptions, load_suite, run_suite
    from harness.records.store import read_records

    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite.yaml"
        suite.write_text(
            f"name: bench\nconcurrency: {concurrency}\nadapters:\n"
            f"  fast: {{type: gradient-adapter, model_adapter_id: {ADAPTER_ID}, "
            f"host: '{base_url}', access_token: bench, workspace_id: bench}}\n"
            "cases: [{id: hello, prompt: hello, expect: [contains: answer]}]\n"
        )
        loaded = load_suite(suite)
        start = time.perf_counter()
        outcome = run_suite(loaded, RunOptions(output_dir=Path(tmp), run_id="r", repeat=requests))
        elapsed = time.perf_counter() - start
        records = list(read_records(outcome.run_dir))
        assert len(records) == requests and all(r.passed for r in records)
        return elapsed, [r.latency_ms / 1000 for r in records if r.latency_ms is not None]


def main() -> None:
    with emulator_process(CONFIG) as (base_url, _):
        harness_run(base_url, 8, 50)  # warm imports
        n = 3000
        sdk_s, _ = bare_sdk(base_url, 64, n)
        run_s, _ = harness_run(base_url, 64, n)
        print(f"# Gradient adapter vs bare gradientai SDK, zero-delay model, {n} requests")
        print(
            f"concurrency 64: bare SDK (64 threads) {n / sdk_s:,.0f} req/s; "
            f"harness run {n / run_s:,.0f} req/s; ratio {sdk_s / run_s:.0%}"
        )
        m = 500
        sdk1_s, sdk_lat = bare_sdk(base_url, 1, m)
        run1_s, run_lat = harness_run(base_url, 1, m)
        sdk_med = statistics.median(sdk_lat) * 1000
        print(
            f"concurrency 1: bare SDK call median {sdk_med:.3f} ms ({sdk1_s / m * 1000:.3f} ms "
            f"per request); harness {run1_s / m * 1000:.3f} ms per request "
            f"(recorded latency median {statistics.median(run_lat) * 1000:.3f} ms); "
            f"added {run1_s / m * 1000 - sdk1_s / m * 1000:+.3f} ms per request"
        )


if __name__ == "__main__":
    main()
