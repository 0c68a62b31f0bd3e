"""Speed of the paired comparison engine on 100,000 records per side.

Run: python benchmarks/bench_compare_engine.py   (about 1 minute on a busy 2-core machine)

Times ``compare_frames`` alone (tables already in memory; reading results.jsonl is the CLI's
part) with the default 2,000 bootstrap resamples, on three shapes of 100,000 records per side:
20,000 cases x 5 repeats, 100,000 cases x 1, and 20,000 cases x 5 in 400 clusters. Every
figure is present (pass, error, two scores, latency, TTFT, ITL, tokens/s). Then the in-run
comparison of ``harness run``: 4 adapters x 100,000 cases, all 6 pairs with every figure, at
the run's 1,000 resamples (``compare_many``, one set of draws for all pairs). Prints the best
wall time of ``--runs`` rounds, its CPU time (the fairer figure when other processes share the
cores) and the load average. Target: well under 10 s for compare, about 4 s CPU in-run.
OpenBLAS threads spin while they wait, which inflates CPU time on a busy machine: set
OPENBLAS_NUM_THREADS=1 to measure the work itself.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.analysis.compare import IN_RUN_RESAMPLES  # noqa: E402
from harness.analysis.paired.engine import compare_frames, compare_many  # noqa: E402
from tests.analysis.paired_simulation import simulate_pair  # noqa: E402

SHAPES = {
    "20,000 cases x 5 repeats": {"n_cases": 20_000, "repeats": 5},
    "100,000 cases x 1": {"n_cases": 100_000, "repeats": 1},
    "20,000 cases x 5, 400 clusters": {
        "n_cases": 20_000,
        "repeats": 5,
        "n_clusters": 400,
        "cluster_sd": 0.3,
    },
}


def _best(runs: int, work: Callable[[], int]) -> tuple[float, float, int]:
    """Best (wall, CPU) seconds of ``runs`` calls of ``work``, and what it returned."""
    best, found = (float("inf"), 0.0), 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        found = work()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best[0], best[1], found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    print(f"compare_frames, {args.resamples} resamples, best of {args.runs}")
    for label, shape in SHAPES.items():
        base, candidate = simulate_pair(1, pass_drop=0.01, latency_factor=1.02, **shape)
        base["score:second"] = base["score:similarity"] ** 2
        candidate["score:second"] = candidate["score:similarity"] ** 2
        wall, cpu, figures = _best(
            args.runs,
            lambda b=base, c=candidate: len(  # type: ignore[misc]
                compare_frames(
                    b,
                    c,
                    pair=("v1", "v2"),
                    higher_is_better={},
                    n_resamples=args.resamples,
                ).figures
            ),
        )
        print(
            f"  {label:32s} {len(base):>7,} + {len(candidate):>7,} records: "
            f"{wall:5.2f} s wall, {cpu:5.2f} s CPU, {figures} figures, "
            f"load {os.getloadavg()[0]:.1f}"
        )
    sides = [*simulate_pair(1, n_cases=100_000), *simulate_pair(2, n_cases=100_000)]
    frames = dict(zip(("a", "b", "c", "d"), sides, strict=True))
    pairs = list(itertools.combinations(frames, 2))
    wall, cpu, figures = _best(
        args.runs,
        lambda: sum(
            len(r.figures)
            for r in compare_many(
                frames, pairs, higher_is_better={}, n_resamples=IN_RUN_RESAMPLES
            ).values()
        ),
    )
    print(
        f"in-run, 4 adapters x 100,000 cases, {len(pairs)} pairs, {IN_RUN_RESAMPLES} resamples: "
        f"{wall:5.2f} s wall, {cpu:5.2f} s CPU, {figures} figures, "
        f"load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
