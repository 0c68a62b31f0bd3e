"""Pieces of one report build: the McNemar counts, report text built once, the collector."""

from __future__ import annotations

import gc
from pathlib import Path

from harness.analysis.compare import compare_pair
from harness.report import write_reports
from harness.report.content import build_content


def test_compare_pair_counts_only_shared_cases_by_verdict() -> None:
    a = {"c1": True, "c2": True, "c3": False, "c4": False, "c5": True, "only-a": True}
    b = {"c1": True, "c2": False, "c3": True, "c4": False, "c5": False, "only-b": False}
    pair = compare_pair("A", "B", a, b)
    assert pair.shared_cases == 5
    assert (pair.both_passed, pair.a_passed_b_failed) == (1, 2)
    assert (pair.b_passed_a_failed, pair.both_failed) == (1, 1)


def test_build_content_is_shared_while_the_summary_lives(written_reports) -> None:
    from harness.analysis import summarize_run

    summary = summarize_run(written_reports["run_dir"])
    first = build_content(summary)
    assert build_content(summary) is first
    assert build_content(summary, max_failures=1) is not first
    assert build_content(summarize_run(written_reports["run_dir"])) == build_content(summary)


def test_write_reports_leaves_the_collector_as_it_found_it(written_reports) -> None:
    run_dir: Path = written_reports["run_dir"]
    assert gc.isenabled()
    write_reports(run_dir, ["summary"])
    assert gc.isenabled()
    gc.disable()
    try:
        write_reports(run_dir, ["summary"])
        assert not gc.isenabled()
    finally:
        gc.enable()
