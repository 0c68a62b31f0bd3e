"""The streaming per-adapter totals behind the CLI summary table."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis.totals import adapter_totals
from harness.records import AdapterInfo, CaseRecord, ErrorInfo, RunManifest
from harness.records.store import RecordWriter, write_manifest


def _record(
    adapter: str, i: int, *, passed: bool = True, error: bool = False, emulated: bool = False
) -> CaseRecord:
    return CaseRecord(
        run_id="r",
        case_id=f"c{i}",
        adapter=adapter,
        prompt="p",
        output=None if error else "o",
        passed=passed and not error,
        latency_ms=None if error else float(i),
        ttft_ms=None if error else i / 2,
        streaming_emulated=emulated,
        error=ErrorInfo(type="server_error", message="boom") if error else None,
        started_at="2026-01-01T00:00:00+00:00",
    )


def write_run_manifest(run_dir: Path, case_count: int, adapters: list[AdapterInfo]) -> None:
    """A run.json for records written by hand (run 'r' of suite 's')."""
    write_manifest(
        run_dir,
        RunManifest(
            run_id="r",
            suite_name="s",
            suite_path="s.yaml",
            suite_sha256="x",
            harness_version="0",
            case_count=case_count,
            started_at="2026-01-01T00:00:00+00:00",
            adapters=adapters,
        ),
    )


def test_totals(tmp_path: Path) -> None:
    write_run_manifest(
        tmp_path,
        10,
        [
            AdapterInfo(name="a", type="t", model="m"),
            AdapterInfo(name="j", type="t", model="m", role="judge"),
        ],
    )
    with RecordWriter(tmp_path) as writer:
        for i in range(1, 11):
            writer.write(_record("a", i, passed=i % 2 == 0, error=i == 10, emulated=True))
    (a,) = adapter_totals(tmp_path)
    assert (a.name, a.cases, a.records, a.passed, a.errored) == ("a", 10, 10, 4, 1)
    assert a.pass_rate == pytest.approx(0.4)
    assert a.latency(50) == pytest.approx(5.0)  # 1..9 (the errored one has no latency)
    assert a.latency(90) == pytest.approx(8.2)
    assert a.ttft(50) == pytest.approx(2.5) and a.ttft_emulated
