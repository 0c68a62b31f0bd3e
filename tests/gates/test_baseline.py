"""Baselines: deterministic bytes, and a baseline reads back as the run it was saved from."""

from __future__ import annotations

import json
import math
from pathlib import Path

from harness.analysis.paired.engine import compare_frames
from harness.analysis.paired.sources import load_source
from harness.gates.baseline import baseline_json, make_baseline
from harness.gates.figures import case_table
from harness.gates.inputs import load_gate_input
from harness.records import CaseRecord, ErrorInfo
from tests.analysis.test_compare_frame_sources import make_record, write_run


def _rows() -> list[CaseRecord]:
    rows = []
    for i in range(12):
        for r in range(3):
            passed = (i + r) % 4 != 0
            error = ErrorInfo(type="E", message="m") if (i, r) == (5, 2) else None
            record = make_record(
                "r",
                "v1",
                f"c{i:02d}",
                passed,
                repeat=r,
                latency_ms=100.0 + 7 * i + r / 3,
                error=error,
            )
            rows.append(record.model_copy(update={"tags": [f"t{i % 3}"], "cluster": f"k{i // 4}"}))
    judge = ErrorInfo(type="J", message="judge down", origin="judge")
    rows.append(make_record("r", "v1", "c11", False, repeat=3, error=judge))
    return rows


def test_same_run_same_bytes_and_one_case_per_line(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", _rows())
    first = baseline_json(make_baseline(load_gate_input(run, "RUN"), harness_version="9"))
    second = baseline_json(make_baseline(load_gate_input(run, "RUN"), harness_version="9"))
    assert first == second
    data = json.loads(first)
    assert list(data) == sorted(data)
    lines = [line for line in first.splitlines() if '"id":"c' in line]
    assert len(lines) == 12
    assert json.loads(lines[0].rstrip(",")) == {
        "cluster": "k0",
        "id": "c00",
        "latency_ms": 100.333,
        "passes": 2,
        "repeats": 3,
        "scores": {"token_f1": 0.75},
        "tags": ["t0"],
        "ttft_ms": 100.333,
    }
    # the judge-failed record of c11 is not graded: 3 repeats, not 4
    assert json.loads(lines[11].rstrip(","))["repeats"] == 3


def test_a_baseline_reads_back_as_its_run(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", _rows())
    path = tmp_path / "base.json"
    path.write_text(baseline_json(make_baseline(load_gate_input(run, "RUN"), harness_version="9")))
    from_run = load_source(run, "RUN").adapters["v1"].frame
    from_file = load_source(path, "BASE").adapters["v1"].frame
    a, b = case_table(from_run), case_table(from_file)
    for column in ("repeats", "passes", "errors", "pass_share", "cluster", "score:token_f1"):
        assert a[column].tolist() == b[column].tolist(), column
    assert all(
        math.isclose(x, y, abs_tol=1e-3)
        for x, y in zip(a["latency_ms"], b["latency_ms"], strict=True)
    )
    result = compare_frames(
        from_run, from_file, pair=("v1", "v1"), higher_is_better={}, n_resamples=100
    )
    assert result.shared_cases == 12 and result.base_only == result.candidate_only == []
    assert result.figure("pass_rate").delta == 0  # type: ignore[union-attr]
    assert result.figure("error_rate").delta == 0  # type: ignore[union-attr]
    saved_again = baseline_json(make_baseline(load_gate_input(path, "RUN"), harness_version="9"))
    assert json.loads(saved_again)["cases"] == json.loads(path.read_text())["cases"]


def test_ten_thousand_case_baseline_size(tmp_path: Path) -> None:
    """Reported in docs/gates.md: about 1.3 MB and 10,000 lines for 10,000 single answers."""
    rows = [
        make_record("r", "v1", f"case-{i:05d}", i % 3 != 0, latency_ms=50.0 + (i * 37) % 400 / 7)
        for i in range(10_000)
    ]
    run = write_run(tmp_path, "r", rows)
    text = baseline_json(make_baseline(load_gate_input(run, "RUN"), harness_version="9"))
    size = len(text.encode())
    assert 500_000 < size < 2_000_000, size
    assert text.count("\n") < 10_100


def test_a_file_that_is_not_a_baseline_is_named(tmp_path: Path) -> None:
    import pytest

    from harness.analysis.paired.sources import CompareInputError

    (tmp_path / "suite.yaml").write_text("name: s\n")
    (tmp_path / "broken.json").write_text('{"kind": "harness.baseline", "schema_version": 1}')
    for name, fragment in (
        ("suite.yaml", "not a run folder or a baseline file (not readable JSON"),
        ("broken.json", "invalid baseline file: saved_by: Field required"),
    ):
        with pytest.raises(CompareInputError) as caught:
            load_source(tmp_path / name, "--baseline")
        assert fragment in str(caught.value) and caught.value.param == "--baseline"
