"""Saved runs for report tests: real ``run.json`` + ``results.jsonl`` written through the store.

Helpers are fixtures (not importable modules) so these tests need no package layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from harness.records import AdapterInfo, CaseRecord, ErrorInfo, MetricResult, RunManifest
from harness.records.store import RecordWriter, write_manifest

RUN_ID = "20260101-120000-abcd"
HOSTILE_OUTPUT = "<script>alert(1)</script> | pipe\nsecond line"
HOSTILE_PROMPT = '<img src=x onerror="alert(2)"> say hi'
TIMEOUT = ErrorInfo(type="RequestTimeoutError", message="no reply within 30 s")


def _record(
    case_id: str,
    adapter: str,
    *,
    passed: bool = True,
    output: str | None = "ok",
    prompt: str = "Where is my order?",
    latency_ms: float | None = 100.0,
    ttft_ms: float | None = None,
    emulated: bool = False,
    error: ErrorInfo | None = None,
    expectations: list[MetricResult] | None = None,
) -> CaseRecord:
    if expectations is None and error is None:
        reason = "" if passed else "expected output to contain 'refund'; missing: ['refund']"
        expectations = [MetricResult(name="contains", passed=passed, reason=reason)]
    return CaseRecord(
        run_id=RUN_ID,
        case_id=case_id,
        adapter=adapter,
        prompt=prompt,
        output=output,
        passed=passed and error is None,
        expectations=expectations or [],
        latency_ms=latency_ms,
        ttft_ms=ttft_ms,
        streaming_emulated=emulated,
        error=error,
        started_at="2026-01-01T12:00:00Z",
    )


def _manifest(adapters: list[AdapterInfo], case_count: int) -> RunManifest:
    return RunManifest(
        run_id=RUN_ID,
        suite_name="support-regression",
        suite_path="suites/support.yaml",
        suite_sha256="0" * 64,
        harness_version="0.1.0",
        adapters=adapters,
        case_count=case_count,
        started_at="2026-01-01T12:00:00Z",
        finished_at="2026-01-01T12:02:30Z",
        status="completed",
    )


V1 = AdapterInfo(
    name="support-bot-v1",
    type="gradient-adapter",
    model="adapter-111",
    options={"max_tokens": 200, "temperature": 0.0},
)
V2 = AdapterInfo(
    name="support-bot-v2",
    type="gradient-adapter",
    model="adapter-222",
    streaming_emulated=True,
)


@pytest.fixture
def make_record() -> Callable[..., CaseRecord]:
    return _record


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """``make_run(records, adapters=None)``; adapters default to those named in the records."""

    def make(records: Iterable[CaseRecord], adapters: list[AdapterInfo] | None = None) -> Path:
        records = list(records)
        if adapters is None:
            names = dict.fromkeys(r.adapter for r in records)
            adapters = [
                AdapterInfo(
                    name=n,
                    type="scripted",
                    model="m",
                    streaming_emulated=any(r.streaming_emulated for r in records if r.adapter == n),
                )
                for n in names
            ]
        run_dir = tmp_path / RUN_ID
        write_manifest(run_dir, _manifest(adapters, len({r.case_id for r in records})))
        with RecordWriter(run_dir) as writer:
            for r in records:
                writer.write(r)
        return run_dir

    return make


def comparison_records() -> list[CaseRecord]:
    """12 cases: both pass c00-c02, only v1 passes c03, only v2 passes c04-c10, c11 fails both.

    v1 errors on c11 (a timeout); v2's streaming is emulated (TTFT == latency) and it answers
    c03 with hostile text. v1 latencies are 100..1200 ms (c11's excluded), v2's 10..120 ms.
    """
    v1_pass = {f"c{i:02d}" for i in range(4)}
    v2_pass = {f"c{i:02d}" for i in range(11)} - {"c03"}
    records = []
    for i in range(12):
        case = f"c{i:02d}"
        records.append(
            _record(
                case,
                V1.name,
                passed=case in v1_pass,
                output=None if case == "c11" else f"v1 answer {i}",
                latency_ms=100.0 * (i + 1),
                ttft_ms=10.0 * (i + 1),
                error=TIMEOUT if case == "c11" else None,
            )
        )
        records.append(
            _record(
                case,
                V2.name,
                passed=case in v2_pass,
                output=HOSTILE_OUTPUT if case == "c03" else f"v2 answer {i}",
                prompt=HOSTILE_PROMPT if case == "c03" else "Where is my order?",
                latency_ms=10.0 * (i + 1),
                ttft_ms=10.0 * (i + 1),
                emulated=True,
            )
        )
    return records


@pytest.fixture
def comparison_run(make_run: Callable[..., Path]) -> Path:
    return make_run(comparison_records(), [V1, V2])


@pytest.fixture(scope="session")
def written_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The comparison run with every report written once (charts are the slow part)."""
    from harness.report import write_reports

    run_dir = tmp_path_factory.mktemp("reports") / RUN_ID
    write_manifest(run_dir, _manifest([V1, V2], 12))
    with RecordWriter(run_dir) as writer:
        for r in comparison_records():
            writer.write(r)
    paths = write_reports(run_dir)
    return {"run_dir": run_dir, "paths": paths}
