"""Loading a 10,000-row dataset suite: CSV read, templated expectations, 10,000 frozen Cases.

Run: python -m pytest benchmarks/test_suite_load.py --benchmark-enable
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from harness.suite.load import load_suite

ROWS = 10_000
SUITE = """name: big
adapters:
  a: {type: gradient-adapter, model_adapter_id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter}
defaults:
  expect: [max_length: 100]
datasets:
  - path: rows.csv
    columns: {prompt: question, id: id, reference: answer}
    expect:
      - contains: "{{ reference }}"
      - regex: '\\d+'
"""


@pytest.fixture
def big_suite(tmp_path: Path) -> Path:
    with (tmp_path / "rows.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "question", "answer"])
        for i in range(ROWS):
            writer.writerow([f"q{i}", f"What is {i} plus 1?", str(i + 1)])
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


@pytest.mark.benchmark(group="suite load")
def test_load_10k_row_dataset_suite(benchmark: Any, big_suite: Path) -> None:
    load_suite(big_suite)  # first load imports llama-index; measure the steady state
    suite = benchmark.pedantic(load_suite, args=(big_suite,), rounds=3, iterations=1)
    assert len(suite.cases) == ROWS
    assert suite.cases[-1].expectations[1].options.value == str(ROWS)  # type: ignore[attr-defined]
