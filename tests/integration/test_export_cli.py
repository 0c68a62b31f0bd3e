"""``harness export``: the real CLI on real run folders, read back with pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records import AdapterInfo, CaseRecord, ErrorInfo, MetricResult, RunManifest
from harness.records.store import RecordWriter, read_records, write_manifest

REPO = Path(__file__).resolve().parents[2]
HOSTILE = 'a, "quoted" answer\nsecond line, with a comma\r\nthird "" line;\ttab'


def _export(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "export", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """suites/quickstart.yaml against the embedded emulator, each case sent twice."""
    out = tmp_path_factory.mktemp("export")
    options = RunOptions(output_dir=out, run_id="qs", repeat=2)
    run_suite(load_suite(REPO / "suites" / "quickstart.yaml"), options)
    return out / "qs"


def test_parquet_round_trip_of_an_emulator_run(quickstart: Path) -> None:
    proc = _export(str(quickstart))
    assert proc.returncode == 0, proc.stderr
    path = quickstart / "records.parquet"
    assert proc.stdout.strip() == f"{path} ({len(list(read_records(quickstart)))} rows)"
    table = pd.read_parquet(path)
    records = list(read_records(quickstart))
    assert len(table) == len(records) and set(table["repeat"]) == {0, 1}
    assert len(set(zip(table["case_id"], table["adapter"], table["repeat"], strict=True))) == len(
        records
    )
    assert list(table.columns[:4]) == ["run_id", "case_id", "adapter", "repeat"]
    names = {m.name for r in records for m in r.expectations}
    for name in names:
        for part in ("passed", "score", "reason"):
            assert f"expect:{name}:{part}" in table.columns
    by_key = {(r.case_id, r.adapter, r.repeat): r for r in records}
    for row in table.itertuples(index=False):
        record = by_key[(row.case_id, row.adapter, row.repeat)]
        assert row.passed == record.passed and row.output == record.output
        assert row.latency_ms == pytest.approx(record.latency_ms)
        assert row.attempts == record.attempts
    assert table["latency_ms"].dtype == "float64" and str(table["passed"].dtype) == "boolean"


def _record(case: str, adapter: str, **fields: object) -> CaseRecord:
    base: dict[str, object] = {
        "run_id": "h",
        "case_id": case,
        "adapter": adapter,
        "prompt": "p",
        "output": "ok",
        "passed": True,
        "latency_ms": 10.0,
        "started_at": "2026-01-01T00:00:00Z",
    }
    return CaseRecord.model_validate(base | fields)


@pytest.fixture
def hand_run(tmp_path: Path) -> Path:
    """Three keys; c1/bot written twice (the first superseded); two `contains` on one record."""
    run_dir = tmp_path / "h"
    manifest = RunManifest(
        run_id="h",
        suite_name="s",
        suite_path="s.yaml",
        suite_sha256="0" * 64,
        harness_version="0",
        adapters=[AdapterInfo(name="bot", type="scripted", model="m")],
        case_count=2,
        started_at="2026-01-01T00:00:00Z",
    )
    write_manifest(run_dir, manifest)
    contains = [
        MetricResult(name="contains", passed=True, score=1.0),
        MetricResult(name="contains", passed=False, score=0.0, reason='missing "x", or y'),
    ]
    with RecordWriter(run_dir) as writer:
        writer.write(_record("c1", "bot", output="old answer", passed=False))
        writer.write(_record("c2", "bot", output=HOSTILE, prompt=HOSTILE, expectations=contains))
        writer.write(_record("c1", "bot", output="new answer", attempts=3))
        writer.write(
            _record(
                "c3",
                "bot",
                output=None,
                passed=False,
                latency_ms=None,
                error=ErrorInfo(type="RateLimitError", message="slow down, please", status=429),
            )
        )
    return run_dir


def test_csv_keeps_hostile_text_and_counts_the_latest_record(
    hand_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "flat.csv"
    proc = _export(str(hand_run), "--format", "csv", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{out} (3 rows)"
    table = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert list(table["case_id"]) == ["c1", "c2", "c3"]
    c1, c2, c3 = (table.iloc[i] for i in range(3))
    assert (c1["output"], c1["attempts"], bool(c1["passed"])) == ("new answer", 3, True)
    assert c2["output"] == HOSTILE and c2["prompt"] == HOSTILE
    assert bool(c2["expect:contains:passed"]) is True and c2["expect:contains:score"] == 1.0
    assert bool(c2["expect:contains#2:passed"]) is False
    assert c2["expect:contains#2:reason"] == 'missing "x", or y'
    assert (c3["outcome"], c3["error_type"], c3["error_status"]) == ("error", "RateLimitError", 429)
    assert c3["error_message"] == "slow down, please" and pd.isna(c3["latency_ms"])
    assert pd.isna(c1["expect:contains:passed"])  # c1 had no such expectation


def test_parquet_keeps_the_same_table(hand_run: Path) -> None:
    assert _export(str(hand_run), "--format", "parquet").returncode == 0
    table = pd.read_parquet(hand_run / "records.parquet")
    assert len(table) == 3 and table.loc[1, "output"] == HOSTILE
    assert table.loc[2, "error_status"] == 429 and pd.isna(table.loc[0, "error_status"])


def test_not_a_run_folder_is_a_usage_error(tmp_path: Path) -> None:
    proc = _export(str(tmp_path))
    assert proc.returncode == 4
    assert "not a run folder" in proc.stderr and "Traceback" not in proc.stderr
