"""Real runs of the embedded emulator (over loopback) for the tests of the shared read."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite

REPO = Path(__file__).resolve().parents[2]

FAULTY_MODELS = """
seed: 3
models:
  - {name: base, slug: base}
  - id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter
    name: flaky
    base_model: base
    faults: {server_error: 0.35, retry_after_s: 0}
    responses:
      - {regex: capital, answer: Paris}
"""

FAULTY_SUITE = """
name: faulty
concurrency: 4
emulator: {config: models.yaml}
retries: {max_attempts: 2, backoff_s: 0, retry_on: [server_error]}
adapters:
  flaky: {type: gradient-adapter, served_by: emulator,
    model_adapter_id: 5a1e5b07-0001-4000-8000-00000000000a_model_adapter}
  base: {type: gradient-base, served_by: emulator, base_model_slug: base}
cases:
"""


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three real runs: quickstart (4 adapters, one emulated stream), the metrics tour (a
    judge, scores, custom checks; 2 repeats) and a suite whose adapter fails a third of its
    requests (retried once; some records keep their error)."""
    root = tmp_path_factory.mktemp("runs")
    folder = root / "faulty"
    folder.mkdir()
    (folder / "models.yaml").write_text(FAULTY_MODELS, encoding="utf-8")
    cases = "".join(
        f"  - {{id: q{i}, prompt: 'What is the capital of France? ({i})', tags: [t{i % 3}], "
        "expect: [{contains: Paris}, {max_length: 30}]}\n"
        for i in range(24)
    )
    (folder / "suite.yaml").write_text(FAULTY_SUITE + cases, encoding="utf-8")
    out = root / "reports"
    runs = [
        (REPO / "suites" / "quickstart.yaml", "quick", 1),
        (REPO / "suites" / "examples" / "metrics-tour.yaml", "tour", 2),
        (folder / "suite.yaml", "faulty", 1),
    ]
    made = []
    for path, run_id, repeat in runs:
        suite = load_suite(path)
        options = RunOptions(output_dir=out, run_id=run_id, repeat=repeat)
        made.append(run_suite(suite, options).run_dir)
    return made
