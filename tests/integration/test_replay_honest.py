"""A replayed record says so: marked replayed, the recorded times (never a fresh near-zero
measurement), latency bounds "not measured" when the timing is not replayed, and the report's
"Served by" names the cassette, not the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_manifest, read_records
from harness.report import write_reports

Write = Callable[..., Path]
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base, default: "base says {{{{ prompt }}}}"}}
  - {{id: {ID}, name: echo, base_model: base, default: "echo {{{{ prompt }}}}",
     latency: {{delay_ms: 40}}}}
"""
CASES = "".join(
    f"  - {{id: c{i}, prompt: 'p{i}', expect: [contains: p{i}, max_latency_ms: 5]}}\n"
    for i in range(3)
)


def _record(write_suite: Write, tmp_path: Path) -> dict[str, float]:
    write_suite(MODELS, "models.yaml")
    live = write_suite(
        "name: honest\nemulator: {config: models.yaml}\nadapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}\n"
        "cases:\n" + CASES
    )
    recorded = run_suite(
        load_suite(live), RunOptions(output_dir=tmp_path, run_id="rec", record=True)
    )
    records = list(read_records(recorded.run_dir))
    assert all(not r.passed and not r.replayed for r in records)  # 40 ms > 5 ms, live
    assert all(r.timing_source == "measured" for r in records)
    return {r.case_id: r.latency_ms or 0.0 for r in records}


def _replay(write_suite: Write, tmp_path: Path, timing: str) -> Path:
    # The suite keeps its emulator: the report must still not say the emulator answered.
    suite = write_suite(
        "name: honest\nemulator: {config: models.yaml}\nadapters:\n"
        f"  echo: {{type: replay, cassette: rec/cassette.jsonl, adapter: echo, timing: {timing}}}\n"
        "cases:\n" + CASES,
        f"replay-{timing}.yaml",
    )
    return run_suite(load_suite(suite), RunOptions(output_dir=tmp_path, run_id=timing)).run_dir


def test_instant_replay_copies_the_recorded_times_and_does_not_judge_them(
    write_suite: Write, tmp_path: Path
) -> None:
    live = _record(write_suite, tmp_path)
    run_dir = _replay(write_suite, tmp_path, "instant")
    records = list(read_records(run_dir))
    assert len(records) == 3
    for r in records:
        assert r.replayed and r.timing_source == "recorded" and r.error is None
        # the recorded latency, not the ~0.1 ms it took to replay
        assert r.latency_ms == pytest.approx(live[r.case_id], abs=0.01)
        assert r.latency_ms >= 40
        bound = next(e for e in r.expectations if e.name == "max_latency_ms")
        assert bound.measured is False and "not measured" in bound.reason
        assert "cassette.jsonl" in bound.reason
        assert r.passed  # decided by `contains` alone: no pass or fail on a time not measured

    (echo,) = read_manifest(run_dir).adapters
    assert echo.cassette is not None and echo.cassette.endswith("rec/cassette.jsonl")
    assert echo.replay_timing == "instant"

    report = write_reports(run_dir, ["markdown"])[0].read_text()
    served = next(line for line in report.splitlines() if "Served by" in line)
    assert "cassette.jsonl" in served and "emulator" not in served
    assert "max_latency_ms" not in _failing_block(report)
    assert "Replayed at once from a cassette: echo." in report


def test_replay_with_recorded_timing_is_timed_and_judged(
    write_suite: Write, tmp_path: Path
) -> None:
    live = _record(write_suite, tmp_path)
    records = list(read_records(_replay(write_suite, tmp_path, "recorded")))
    for r in records:
        assert r.replayed and r.timing_source == "replayed"
        assert r.latency_ms is not None and r.latency_ms >= live[r.case_id] - 1
        bound = next(e for e in r.expectations if e.name == "max_latency_ms")
        assert bound.measured and not bound.passed and not r.passed  # as live: 40 ms > 5 ms


def _failing_block(report: str) -> str:
    start = report.find("Failing cases")
    return "" if start < 0 else report[start:]


def test_cached_reply_scores_latency_bounds_not_measured(
    write_suite: Write, tmp_path: Path
) -> None:
    write_suite(MODELS, "models.yaml")
    suite = load_suite(
        write_suite(
            "name: honest\nemulator: {config: models.yaml}\nadapters:\n"
            f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}\n"
            "cases:\n" + CASES
        )
    )
    cache = tmp_path / "cache.sqlite"
    run_suite(suite, RunOptions(output_dir=tmp_path, run_id="a", cache_path=cache))
    second = run_suite(suite, RunOptions(output_dir=tmp_path, run_id="b", cache_path=cache))
    for r in read_records(second.run_dir):
        assert r.cached and r.latency_ms is None and r.timing_source is None
        bound = next(e for e in r.expectations if e.name == "max_latency_ms")
        assert bound.measured is False and "response cache" in bound.reason
        assert r.passed  # `contains` passed; a time never measured neither passes nor fails
