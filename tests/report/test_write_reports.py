"""write_reports and the reporter registry."""

from __future__ import annotations

import pytest

from harness.registry import UnknownNameError
from harness.report import reporters, write_reports


def test_builtin_reporters_are_registered():
    assert {"charts", "html", "markdown"} <= set(reporters.names())
    assert reporters.kind == "reporter"
    assert reporters.entry("html").metadata["files"] == ("report.html",)


def test_writes_everything_charts_first(written_reports):
    names = [p.name for p in written_reports["paths"]]
    assert names == [
        "pass_rate.png",
        "latency.png",
        "ttft.png",
        "summary.json",
        "report.md",
        "report.html",
    ]
    assert all(
        p.parent == written_reports["run_dir"] and p.is_file() for p in written_reports["paths"]
    )
    assert not list(written_reports["run_dir"].glob("*.tmp"))


def test_only_the_named_reports(comparison_run):
    paths = write_reports(comparison_run, ["markdown", "markdown"])
    assert [p.name for p in paths] == ["report.md"]
    assert not (comparison_run / "report.html").exists()


def test_unknown_reporter_suggests_a_name_and_writes_nothing(comparison_run):
    with pytest.raises(
        UnknownNameError, match=r"unknown reporter 'markdwn' \(did you mean 'markdown'\?\)"
    ):
        write_reports(comparison_run, ["html", "markdwn"])
    assert not (comparison_run / "report.html").exists()


def test_reports_from_a_run_with_a_torn_last_line(comparison_run):
    with (comparison_run / "results.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"run_id": "x", "case_id": "c99", "adap')
    paths = write_reports(comparison_run, ["markdown", "html"])
    md = paths[0].read_text(encoding="utf-8")
    assert "| **Records read** | 24 |" in md
    assert "c99" not in md and "c99" not in paths[1].read_text(encoding="utf-8")
