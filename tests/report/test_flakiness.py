"""Flakiness: (case, adapter) pairs whose verdict changed across repeats, counted and ordered."""

from __future__ import annotations

from harness.analysis import summarize_records
from harness.records import AdapterInfo, CaseRecord, ErrorInfo, MetricResult, RunManifest
from harness.report.content import build_content

A = AdapterInfo(name="model-a", type="echo", model="a")
B = AdapterInfo(name="model-b", type="echo", model="b")


def _manifest() -> RunManifest:
    return RunManifest(
        run_id="r",
        suite_name="s",
        suite_path="s.yaml",
        suite_sha256="0" * 64,
        harness_version="0.1.0",
        adapters=[A, B],
        case_count=5,
        started_at="2026-01-01T12:00:00Z",
    )


def _records(series: dict[tuple[str, str], str]) -> list[CaseRecord]:
    """``series[(case, adapter)]`` is one letter per repeat: P pass, F fail, E error."""
    out = []
    for (case, adapter), verdicts in series.items():
        for k, v in enumerate(verdicts):
            out.append(
                CaseRecord(
                    run_id="r",
                    case_id=case,
                    adapter=adapter,
                    prompt="p",
                    output=None if v == "E" else "o",
                    passed=v == "P",
                    expectations=[] if v == "E" else [MetricResult(name="x", passed=v == "P")],
                    error=ErrorInfo(type="Timeout", message="t") if v == "E" else None,
                    latency_ms=10.0,
                    repeat=k,
                    started_at="2026-01-01T12:00:00Z",
                )
            )
    return out


SERIES = {
    ("steady-pass", "model-a"): "PPPP",
    ("steady-fail", "model-a"): "FFFF",
    ("once", "model-a"): "P",  # not repeated: neither flaky nor counted as repeated
    ("one-flip", "model-a"): "PPFF",  # 1 flip in 3 transitions
    ("alternating", "model-b"): "PFPF",  # 3 flips in 3 transitions
    ("two-flips", "model-b"): "FPPF",  # 2 flips in 3 transitions
    ("error-flip", "model-b"): "PE",  # an error is not a pass: 1 flip in 1 transition
    ("errors-only", "model-b"): "FE",  # fail and error are the same verdict: not flaky
}


def test_flaky_cases_counted_ordered_and_non_flaky_excluded():
    summary = summarize_records(_manifest(), _records(SERIES))
    got = [(f.case_id, f.adapter, f.runs, f.passed, f.flips) for f in summary.flaky]
    assert got == [
        # Highest flip rate first; ties by adapter then case id.
        ("alternating", "model-b", 4, 2, 3),
        ("error-flip", "model-b", 2, 1, 1),
        ("two-flips", "model-b", 4, 2, 2),
        ("one-flip", "model-a", 4, 2, 1),
    ]
    assert [round(f.flip_rate, 4) for f in summary.flaky] == [1.0, 1.0, 0.6667, 0.3333]
    assert summary.repeated_cases == 7  # every pair but "once"


def test_repeat_order_not_file_order_decides_the_flips():
    records = _records({("c", "model-a"): "PPFF"})
    shuffled = [records[i] for i in (0, 2, 1, 3)]  # in file order P F P F: 3 flips
    summary = summarize_records(_manifest(), shuffled)
    assert [(f.runs, f.flips) for f in summary.flaky] == [(4, 1)]


def test_no_repeats_means_nothing_repeated_and_nothing_flaky():
    summary = summarize_records(
        _manifest(), _records({("c", "model-a"): "F", ("d", "model-b"): "P"})
    )
    assert summary.flaky == () and summary.repeated_cases == 0


def test_steady_repeats_are_repeated_but_not_flaky():
    summary = summarize_records(
        _manifest(), _records({("c", "model-a"): "PPP", ("d", "model-b"): "FF"})
    )
    assert summary.flaky == () and summary.repeated_cases == 2
    content = build_content(summary)
    assert content.flaky is None
    assert content.flaky_note == "All 2 repeated cases gave the same verdict every time."


def test_report_lists_the_flaky_cases():
    content = build_content(summarize_records(_manifest(), _records(SERIES)))
    assert content.flaky is not None
    assert [row[0] for row in content.flaky.rows][:1] == ["alternating"]
    assert len(content.flaky.rows) == 4
    assert content.flaky_note.startswith("4 of 7 repeated cases changed verdict")
