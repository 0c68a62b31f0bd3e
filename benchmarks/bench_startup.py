"""Start-up: how long a user waits, whole process, for the commands people type most.

Run: python benchmarks/bench_startup.py [--runs 7]   (about 1 minute)

Each command runs ``--runs`` times as its own process (interleaved, after one warm-up round so
the disk cache is warm); the figure is the median wall time. Beside them, in the same rounds,
two reference points that the harness cannot beat: a bare ``python -c pass`` and a bare
``import llama_index.core`` (what any llama-index LLM costs before its first request). For runs,
the time from launch to the first request sent is read from each run's ``run.json``.

Targets (issue 8): --help and validate under 0.4 s; a one-case run on the embedded emulator,
reports included, under 2.0 s; the quickstart under 3 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "suites" / "quickstart.yaml"
HARNESS = [sys.executable, "-m", "harness"]


def one_case_suite(folder: Path) -> Path:
    """The quickstart cut to one case and one Gradient adapter, emulator config made absolute."""
    data = yaml.safe_load(QUICKSTART.read_text())
    data["emulator"]["config"] = str((QUICKSTART.parent / data["emulator"]["config"]).resolve())
    data["adapters"] = {"support-bot-v1": data["adapters"]["support-bot-v1"]}
    data["cases"] = data["cases"][:1]
    path = folder / "one.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def first_request_ms(run_dir: Path) -> float | None:
    manifest = json.loads((run_dir / "run.json").read_text())
    startup = manifest.get("startup") or {}
    value = startup.get("first_request_ms")
    return float(value) if value is not None else None


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = one_case_suite(folder)
        runs: dict[str, list[Path]] = {"one case": [], "quickstart": []}

        def run(suite: Path, label: str) -> list[str]:
            run_dir = folder / "r" / f"{label.replace(' ', '-')}-{len(runs[label])}"
            runs[label].append(run_dir)
            return [
                *HARNESS,
                "run",
                str(suite),
                "-o",
                str(run_dir.parent),
                "--run-id",
                run_dir.name,
            ]

        commands = {
            "python -c pass (reference)": lambda: [sys.executable, "-c", "pass"],
            "import llama_index.core (reference)": lambda: [
                sys.executable,
                "-c",
                "import llama_index.core",
            ],
            "harness --help": lambda: [*HARNESS, "--help"],
            "harness validate quickstart": lambda: [*HARNESS, "validate", str(QUICKSTART)],
            "harness run, one case, reports included": lambda: run(one, "one case"),
            "harness run quickstart (22 cases x 4 adapters)": lambda: run(QUICKSTART, "quickstart"),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.runs + 1):  # round 0 warms the disk cache and is dropped
            for name, make in commands.items():
                elapsed = timed(make(), ROOT)
                if round_:
                    times[name].append(elapsed)
        print(f"{'command':50} {'median s':>9} {'min s':>7} {'max s':>7}")
        for name, values in times.items():
            print(
                f"{name:50} {statistics.median(values):9.3f} {min(values):7.3f} {max(values):7.3f}"
            )
        for label, dirs in runs.items():
            firsts = [v for d in dirs[1:] if (v := first_request_ms(d)) is not None]
            if firsts:
                print(
                    f"launch to first request, {label}: median {statistics.median(firsts):.0f} ms"
                )
        print(f"(median of {args.runs} runs each, interleaved; load average {_load()})")


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
