"""Wall time of `harness compare` on two 100,000-record runs (target: under 10 s on 2 cores).

Run: python benchmarks/bench_compare.py [RECORDS] [--rounds N] [--keep DIR]
Writes two synthetic run folders with the real record writer (one adapter, RECORDS cases,
records shaped as `harness run` writes them: two expectations, one with a score, streamed
chunks with their stamps, about 1.2 KB each), then times the real CLI in a subprocess (imports
included, as a user waits for them) and prints the median wall time, the CPU time (what the
wall time is on an idle machine when the command is single-threaded) and the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import __version__
from harness.records import AdapterInfo, CaseRecord, MetricResult, RunManifest
from harness.records.store import RecordWriter, write_manifest
from harness.runner.timing import derive_timing

MACHINE = {"node": "bench", "system": "Linux", "cpu_count": 2}


def write_run(run_dir: Path, run_id: str, n: int, *, seed: int, pass_rate: float) -> None:
    """One adapter ``bot`` with ``n`` cases: lognormal latency, 8 chunks, a score per record."""
    rng = random.Random(seed)
    write_manifest(
        run_dir,
        RunManifest(
            run_id=run_id,
            suite_name="bench",
            suite_path="bench.yaml",
            suite_sha256="0" * 64,
            harness_version=__version__,
            adapters=[AdapterInfo(name="bot", type="gradient-adapter", model="m")],
            case_count=n,
            started_at="2026-01-01T00:00:00+00:00",
            status="completed",
            machine=MACHINE,
            execution={"concurrency": 8},
        ),
    )
    t0 = 10_000_000_000
    with RecordWriter(run_dir, fsync="never") as writer:
        for i in range(n):
            latency_ns = int(rng.lognormvariate(4.0, 0.4) * 1e6)
            first = latency_ns // 4
            chunks = [t0 + first + (latency_ns - first) * k // 8 for k in range(8)]
            timing = derive_timing(t0, chunks, t0 + latency_ns, streaming_emulated=False)
            passed = rng.random() < pass_rate
            score = rng.random() * 0.5 + (0.5 if passed else 0.0)
            writer.write(
                CaseRecord(
                    run_id=run_id,
                    case_id=f"case-{i:06d}",
                    adapter="bot",
                    prompt=f"What is item {i}? Answer in one sentence.",
                    output=f"Item {i} is the answer number {i} of this benchmark.",
                    passed=passed,
                    score=score,
                    expectations=[
                        MetricResult(name="contains", passed=passed, score=float(passed)),
                        MetricResult(name="token_f1", passed=True, score=score),
                    ],
                    latency_ms=timing.latency_ms,
                    ttft_ms=timing.ttft_ms,
                    output_tokens=16,
                    tokens_per_s=16 / (latency_ns / 1e9),
                    timing_source="measured",
                    timing=timing,
                    seq=i,
                    started_at="2026-01-01T00:00:00+00:00",
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="?", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Write the runs here and keep them.")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-compare-"))
    base, cand = root / "base", root / "cand"
    if not (base / "results.jsonl").exists():
        started = time.perf_counter()
        write_run(base, "base", args.records, seed=1, pass_rate=0.80)
        write_run(cand, "cand", args.records, seed=2, pass_rate=0.79)
        size = (base / "results.jsonl").stat().st_size / 1e6
        print(f"wrote 2 x {args.records:,} records ({size:.0f} MB each) in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    times, cpus = [], []
    for _ in range(args.rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "harness", "compare", str(base), str(cand),
             "--out", str(root / "out"), "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            sys.exit(f"harness compare failed ({done.returncode}):\n{done.stderr}")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"harness compare, 2 x {args.records:,} records: median {statistics.median(times):.2f} s "
        f"(rounds: {', '.join(f'{t:.2f}' for t in times)}), CPU (user+sys) median "
        f"{statistics.median(cpus):.2f} s, peak RSS {peak_mib:.0f} MiB, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
