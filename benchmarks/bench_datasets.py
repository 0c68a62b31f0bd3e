"""Load time of a 10,000-row dataset per format through load_dataset_rows.

Run: ``python benchmarks/bench_datasets.py [--rows N] [--repeat K]`` (about 20 s). Writes the same
rows as CSV, JSONL, JSON, Parquet and a Hugging Face folder (JSONL) into a temporary folder, then
prints per source: "cold", one load in a fresh process (it includes importing pyarrow or
``datasets``; for Hugging Face the first one also builds its Arrow cache), then the median and
best of K loads in this process. Hugging Face runs offline, its cache in the temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harness.suite.datasets import DatasetSpec, load_dataset_rows  # noqa: E402

COLUMNS = {"prompt": "question", "id": "id", "reference": "answer", "tags": "category"}


def make_rows(n: int) -> list[dict[str, Any]]:
    categories = ["geography", "science", "math", "culture", "history"]
    return [
        {
            "id": f"q{i:05d}",
            "question": f"Question number {i}: what is {i} plus {i % 97}? Reply with a number.",
            "answer": str(i + i % 97),
            "category": categories[i % len(categories)],
            "difficulty": (i % 10) / 10,
            "points": i % 5,
        }
        for i in range(n)
    ]


def write_all(folder: Path, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Write every format; return the DatasetSpec fields that read each one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with (folder / "rows.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (folder / "rows.jsonl").write_text(lines, encoding="utf-8")
    (folder / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(rows), folder / "rows.parquet")
    (folder / "hf").mkdir()
    (folder / "hf" / "train.jsonl").write_text(lines, encoding="utf-8")
    return {
        "csv": {"path": "rows.csv"},
        "jsonl": {"path": "rows.jsonl"},
        "json": {"path": "rows.json"},
        "parquet": {"path": "rows.parquet"},
        "hf (local jsonl)": {"hf": {"path": "hf"}},
        "jsonl, sample 1000 + limit 100": {
            "path": "rows.jsonl",
            "sample": {"n": 1000, "seed": 1},
            "limit": 100,
        },
    }


def timed(fn: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        import datasets

        datasets.config.HF_DATASETS_CACHE = str(folder / "hf-cache")
        sources = write_all(folder, make_rows(args.rows))
        print(f"{args.rows:,} rows, 6 columns; Python {sys.version.split()[0]}")
        print(f"{'source':34} {'cold':>9} {'median':>9} {'best':>9}")
        for label, fields in sources.items():
            fields = {**fields, "columns": COLUMNS}
            cold = cold_load(folder, fields)
            spec = DatasetSpec.model_validate(fields)
            rows = load_dataset_rows(spec, folder)
            expected = 100 if "limit" in fields else args.rows
            assert len(rows) == expected, (label, len(rows))
            runs = [timed(load_dataset_rows, spec, folder) for _ in range(args.repeat)]
            print(
                f"{label:34} {cold * 1e3:7.1f}ms {statistics.median(runs) * 1e3:7.1f}ms "
                f"{min(runs) * 1e3:7.1f}ms"
            )


def cold_load(folder: Path, fields: dict[str, Any]) -> float:
    """Seconds for one load in a fresh interpreter, after `import harness.suite.datasets`."""
    code = (
        "import json, sys, time; from pathlib import Path\n"
        "from harness.suite.datasets import DatasetSpec, load_dataset_rows\n"
        "import harness.suite.dataset_readers\n"  # load_dataset_rows imports it: not timed
        "spec = DatasetSpec.model_validate(json.loads(sys.argv[1]))\n"
        "start = time.perf_counter()\n"
        "if spec.hf is not None:\n"
        "    import datasets; datasets.config.HF_DATASETS_CACHE = sys.argv[3]\n"
        "load_dataset_rows(spec, Path(sys.argv[2]))\n"
        "print(time.perf_counter() - start)\n"
    )
    argv = [sys.executable, "-c", code, json.dumps(fields), str(folder), str(folder / "hf-cache")]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


if __name__ == "__main__":
    main()
