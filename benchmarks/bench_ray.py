"""The Ray executor against the local one, in one run, as ratios (issue 15).

Run: python benchmarks/bench_ray.py   (about 3 minutes on 2 cores; the emulator runs in its own
process; Ray starts once, without its dashboard, and every configuration reuses it)

1. Throughput at concurrency 64 against a zero-delay model (the harness, not the model, is the
   limit): local executor, then Ray with 1, 2 and 4 workers. Throughput counts the drive only
   (first request sent to last reply, from the records), not Ray's start or the workers' set-up.
2. A CPU-heavy metric suite: ROUGE-L of 400-word answers against a 400-word reference, local vs
   Ray with 1 and 2 workers.
3. What Ray adds per record: CPU per record of the driver (it plans, hands out, receives and
   writes) and of driver and workers together, against a local run's CPU per record (the
   emulator's own CPU is in neither: it has its own process).

The machine's load average is printed with the figures: on a shared machine they move.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _emulator import emulator_process  # benchmarks/_emulator.py, beside this script

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
LONG = " ".join(f"word{i % 97} token{i % 13}" for i in range(200))  # 400 words
CONFIG: dict[str, Any] = {
    "models": [
        {"name": "base", "slug": "base"},
        {"id": ADAPTER_ID, "name": "fast", "base_model": "base", "default": "a short answer"},
        {"name": "long", "slug": "long", "default": LONG},
    ]
}


def _suite(tmp: Path, base_url: str, concurrency: int, heavy: bool) -> Path:
    where = f"host: '{base_url}', access_token: bench, workspace_id: bench"
    if heavy:
        adapter = f"  long: {{type: gradient-base, base_model_slug: long, {where}}}\n"
        case = f"[{{id: long, prompt: hello, expect: [rouge_l: {{reference: '{LONG}'}}]}}]"
    else:
        adapter = f"  fast: {{type: gradient-adapter, model_adapter_id: {ADAPTER_ID}, {where}}}\n"
        case = "[{id: hello, prompt: hello, expect: [contains: answer]}]"
    path = tmp / f"suite-{'heavy' if heavy else 'fast'}.yaml"
    path.write_text(f"name: bench\nconcurrency: {concurrency}\nadapters:\n{adapter}cases: {case}\n")
    return path


def _drive_rps(run_dir: Path) -> tuple[int, float]:
    """Records and their requests/s from the first request sent to the last reply."""
    from harness.records.store import read_records

    records = list(read_records(run_dir))
    starts = [datetime.fromisoformat(r.started_at).timestamp() for r in records]
    ends = [s + (r.latency_ms or 0) / 1000 for s, r in zip(starts, records, strict=True)]
    assert all(r.error is None for r in records), "a request failed: figures are void"
    return len(records), len(records) / (max(ends) - min(starts))


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of another process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(
    suite: Path, tmp: Path, run_id: str, requests: int, server: int, **options: Any
) -> dict[str, Any]:
    from harness import RunOptions, load_suite, run_suite

    server_cpu = _cpu_of(server)
    cpu = time.process_time()
    wall = time.perf_counter()
    outcome = run_suite(
        load_suite(suite),
        RunOptions(output_dir=tmp, run_id=run_id, repeat=requests, warmup=2, **options),
    )
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    n, rps = _drive_rps(outcome.run_dir)
    assert n == requests
    workers = outcome.manifest.harness_lag.get("workers", {})
    worker_cpu = sum(w["cpu_s"] for w in workers.values())
    return {
        "rps": rps,
        "wall_s": wall,
        "driver_cpu_ms_per_record": cpu / n * 1000,
        "cpu_ms_per_record": (cpu + worker_cpu) / n * 1000,  # driver and workers together
        "server_cpu_ms_per_record": (_cpu_of(server) - server_cpu) / n * 1000,
    }


def _configs(workers: list[int]) -> list[tuple[str, dict[str, Any]]]:
    return [("local", {})] + [(f"ray x{w}", {"executor": "ray", "workers": w}) for w in workers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--heavy-requests", type=int, default=600)
    args = parser.parse_args()
    import ray

    os.environ["PYTHONPATH"] = str(REPO)  # Ray's workers import this checkout
    ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    try:
        with emulator_process(CONFIG) as (base_url, pid), tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            fast = _suite(tmp, base_url, 64, heavy=False)
            heavy = _suite(tmp, base_url, 16, heavy=True)
            _run(fast, tmp, "warm", 200, pid)  # imports, connections
            for label, options in _configs([1, 2, 4]):
                results[f"fast {label}"] = _run(
                    fast, tmp, f"f-{label.replace(' ', '')}", args.requests, pid, **options
                )
                print(label, results[f"fast {label}"], os.getloadavg(), flush=True)
            for label, options in _configs([1, 2]):
                results[f"heavy {label}"] = _run(
                    heavy,
                    tmp,
                    f"h-{label.replace(' ', '')}",
                    args.heavy_requests,
                    pid,
                    **options,
                )
                print(label, results[f"heavy {label}"], os.getloadavg(), flush=True)
    finally:
        ray.shutdown()
    results["load_after"] = os.getloadavg()
    results["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _print(results, args)


def _print(results: dict[str, Any], args: argparse.Namespace) -> None:
    local, heavy_local = results["fast local"], results["heavy local"]
    print(f"\n# Ray executor vs local, concurrency 64, zero-delay model, {args.requests} requests")
    for key in ("fast local", "fast ray x1", "fast ray x2", "fast ray x4"):
        r = results[key]
        print(
            f"{key[5:]:>9}: {r['rps']:8,.0f} req/s ({r['rps'] / local['rps']:.2f}x local), "
            f"whole run {r['wall_s']:.1f} s, CPU {r['cpu_ms_per_record']:.3f} ms/record "
            f"(driver {r['driver_cpu_ms_per_record']:.3f}; server "
            f"{r['server_cpu_ms_per_record']:.3f})"
        )
    print(f"\n# ROUGE-L on 400-word answers, concurrency 16, {args.heavy_requests} requests")
    for key in ("heavy local", "heavy ray x1", "heavy ray x2"):
        r = results[key]
        print(
            f"{key[6:]:>9}: {r['rps']:8,.1f} req/s ({r['rps'] / heavy_local['rps']:.2f}x local), "
            f"CPU {r['cpu_ms_per_record']:.2f} ms/record "
            f"(driver {r['driver_cpu_ms_per_record']:.2f})"
        )
    print(
        f"\nload average before {results['load_before']}, after {results['load_after']} "
        f"({os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
