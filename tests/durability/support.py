"""Builders for real records, manifests and cases (no mocks of harness code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.records import AdapterInfo, CaseRecord, ErrorInfo, RunManifest
from harness.records.store import RecordWriter, write_manifest
from harness.runner.timing import derive_timing
from harness.suite.expand import Case

T0 = 5_000_000_000  # an arbitrary perf_counter_ns origin


def record(
    case_id: str = "c1",
    adapter: str = "fast",
    repeat: int = 0,
    *,
    run_id: str = "run-a",
    output: str | None = "Paris",
    error: ErrorInfo | None = None,
    chunk_offsets_ms: tuple[float, ...] = (20.0,),
    end_ms: float = 25.0,
    prompt: str = "What is the capital of France?",
    **extra: Any,
) -> CaseRecord:
    """A CaseRecord as the runner writes it, with real Timing stamps."""
    if error is not None:
        return CaseRecord(
            run_id=run_id,
            case_id=case_id,
            adapter=adapter,
            repeat=repeat,
            prompt=prompt,
            output=None,
            passed=False,
            score=0.0,
            latency_ms=end_ms,
            error=error,
            started_at="2026-01-01T00:00:00+00:00",
            **extra,
        )
    chunk_ns = [T0 + round(ms * 1e6) for ms in chunk_offsets_ms]
    timing = derive_timing(T0, chunk_ns, T0 + round(end_ms * 1e6), streaming_emulated=False)
    return CaseRecord(
        run_id=run_id,
        case_id=case_id,
        adapter=adapter,
        repeat=repeat,
        prompt=prompt,
        output=output,
        passed=True,
        score=1.0,
        latency_ms=timing.latency_ms,
        ttft_ms=timing.ttft_ms,
        output_chars=len(output or ""),
        finish_reason="stop",
        timing=timing,
        started_at="2026-01-01T00:00:00+00:00",
        tags=["smoke"],
        **extra,
    )


def manifest(
    run_id: str,
    *,
    sha: str = "a" * 64,
    case_count: int = 2,
    status: str = "completed",
    started_at: str = "2026-01-01T10:00:00+00:00",
    finished_at: str | None = "2026-01-01T10:05:00+00:00",
    model: str = "m1",
) -> RunManifest:
    return RunManifest(
        run_id=run_id,
        suite_name="demo",
        suite_path="suites/demo.yaml",
        suite_sha256=sha,
        harness_version="0.1.0",
        adapters=[AdapterInfo(name="fast", type="gradient-base", model=model)],
        case_count=case_count,
        started_at=started_at,
        finished_at=finished_at,
        status=status,
        machine={"node": f"node-{run_id}"},
    )


def write_run(run_dir: Path, run_manifest: RunManifest, records: list[CaseRecord]) -> Path:
    write_manifest(run_dir, run_manifest)
    with RecordWriter(run_dir) as writer:
        for r in records:
            writer.write(r)
    return run_dir


def case(
    case_id: str = "c1",
    prompt: str = "What is the capital of France?",
    *,
    messages: tuple[tuple[str, str], ...] | None = None,
    generation: dict[str, Any] | None = None,
    repeat: int = 1,
) -> Case:
    return Case(
        id=case_id,
        prompt=prompt,
        expectations=(),
        generation=generation or {},
        messages=messages,
        repeat=repeat,
    )
