"""Speed of the paired comparison engine on 100,000 records per side.

Run: python benchmarks/bench_compare_engine.py   (about 1 minute on a busy 2-core machine)

Times ``compare_frames`` alone (tables already in memory; reading results.jsonl is the CLI's
part) with the default 2,000 bootstrap resamples, on three shapes of 100,000 records per side:
20,000 cases x 5 repeats, 100,000 cases x 1, and 20,000 cases x 5 in 400 clusters. Every
figure is present (pass, error, two scores, latency, TTFT, ITL, tokens/s). Prints the best
wall time of ``--runs`` rounds and its CPU time (the CPU time is the fairer figure when other
processes share the cores). Target: well under 10 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from harness.analysis.paired.engine import compare_frames  # noqa: E402
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
        best = (float("inf"), 0.0)
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            result = compare_frames(
                base,
                candidate,
                pair=("v1", "v2"),
                higher_is_better={},
                n_resamples=args.resamples,
            )
            best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
        print(
            f"  {label:32s} {len(base):>7,} + {len(candidate):>7,} records: "
            f"{best[0]:5.2f} s wall, {best[1]:5.2f} s CPU, {len(result.figures)} figures"
        )


if __name__ == "__main__":
    main()
