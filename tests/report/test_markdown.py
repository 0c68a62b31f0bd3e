"""report.md: the key lines a reader looks for, and escaping of untrusted text."""

from __future__ import annotations

import re

import pytest

from harness.report import write_reports
from harness.report.markdown import md_code, md_text


@pytest.fixture(scope="module")
def md(written_reports):
    return (written_reports["run_dir"] / "report.md").read_text(encoding="utf-8")


def _cells(line: str) -> list[str]:
    """Split a table row on unescaped pipes, as a GFM renderer does."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_header(md):
    lines = md.splitlines()
    assert lines[0] == "# support-regression: run 20260101-120000-abcd"
    assert "| **Suite** | support-regression (suites/support.yaml) |" in lines
    assert "| **Finished** | 2026-01-01T12:02:30Z (2 min 30 s) |" in lines
    assert "| **Harness version** | 0.1.0 |" in lines
    assert "| **Records read** | 24 |" in lines


def test_adapters_with_options(md):
    assert (
        "| support-bot-v1 | gradient-adapter | adapter-111 | — | streamed "
        "| max\\_tokens=200, temperature=0.0 |"
    ) in md
    assert (
        "| support-bot-v2 | gradient-adapter | adapter-222 | — "
        "| emulated (whole reply in one chunk) | — |"
    ) in md


def test_summary_table(md):
    lines = md.splitlines()
    assert (
        "| support-bot-v1 | 12 | 4 | 8 | 1 | 33.3% (13.8%–60.9%) "
        "| 600 | 600 | 1,000 | 1,090 | 1,100 | 60 | 100 |"
    ) in lines
    assert (
        "| support-bot-v2 | 12 | 10 | 2 | 0 | 83.3% (55.2%–95.3%) "
        "| 65 | 65 | 109 | 119 | 120 | 65 (emulated) | 109 (emulated) |"
    ) in lines
    assert "- Failed includes Errored: a request that errored is a failed case." in md
    assert "- TTFT (emulated: whole reply in one chunk) for support-bot-v2" in md
    assert "| contains | 4/11 (36.4%) | 10/12 (83.3%) |" in lines


def test_charts_are_linked(md):
    assert "![Pass rate per adapter (error bars: 95% Wilson interval)](pass_rate.png)" in md
    assert "](latency.png)" in md and "](ttft.png)" in md


def test_paired_comparison(md):
    lines = md.splitlines()
    assert "| support-bot-v1 | support-bot-v2 | 12 | 3 | 1 | 1 | 7 | 0.07 |" in lines
    assert (
        "- support-bot-v2 passes 6 more cases than support-bot-v1 (7 vs 1 of the 8 cases where "
        "they disagree, out of 12 shared); the difference could be chance (p=0.07)."
    ) in lines


def test_failing_cases_with_reasons_and_errors(md):
    lines = md.splitlines()
    assert "### support-bot-v1: 8 not passed" in lines
    assert "### support-bot-v2: 2 not passed" in lines
    failure_rows = [line for line in lines if len(_cells(line)) == 5]
    (errored,) = [line for line in failure_rows if line.startswith("| c11 | ERROR |")]
    assert _cells(errored) == [
        "c11",
        "ERROR",
        "error: RequestTimeoutError: no reply within 30 s",
        "` Where is my order? `",
        "*(no output)*",
    ]
    (failed,) = [line for line in failure_rows if line.startswith("| c04 | FAIL |")]
    assert "contains: expected output to contain 'refund'; missing: \\['refund'\\]" in failed


def test_hostile_output_stays_in_its_cell(md):
    rows = [line for line in md.splitlines() if line.startswith("| c03 | FAIL |")]
    (cells,) = [_cells(row) for row in rows if len(_cells(row)) == 5]
    assert len(cells) == 5
    assert cells[4] == "` <script>alert(1)</script> \\| pipe ↵ second line `"
    assert cells[3] == '` <img src=x onerror="alert(2)"> say hi `'


def test_per_case_table(md):
    lines = md.splitlines()
    assert "| Case | support-bot-v1 | support-bot-v2 | Differs |" in lines
    assert "| c00 | pass | pass |  |" in lines
    assert "| c03 | pass | FAIL | ≠ |" in lines
    assert "| c11 | ERROR | FAIL | ≠ |" in lines
    assert lines.index("## Per-case results") > lines.index("## Failing cases")


def test_long_output_is_truncated(make_run, make_record):
    run = make_run([make_record("long", "x", passed=False, output="word " * 2000)])
    (path,) = write_reports(run, ["markdown"])
    lines = path.read_text().splitlines()
    (row,) = [line for line in lines if line.startswith("| long |") and len(_cells(line)) == 5]
    assert "more chars]" in row
    assert len(row) < 800


def test_single_adapter_all_passing(make_run, make_record):
    run = make_run([make_record("a", "x"), make_record("b", "x")])
    (path,) = write_reports(run, ["markdown"])
    text = path.read_text()
    assert "Only one adapter ran; nothing to compare." in text
    assert "Every case passed." in text


def test_adapter_with_every_request_errored(make_run, make_record):
    from harness.records import ErrorInfo

    boom = ErrorInfo(type="ConnectionFailedError", message="connection refused")
    run = make_run(
        [make_record(c, "ok-bot") for c in "ab"]
        + [make_record(c, "dead-bot", output=None, latency_ms=None, error=boom) for c in "ab"]
    )
    paths = write_reports(run, ["markdown"])
    text = paths[0].read_text()
    assert "| dead-bot | 2 | 0 | 2 | 2 | 0.0% (0.0%–65.8%) | — | — | — | — | — | — | — |" in text
    assert "No latency measured for dead-bot: every request errored." in text
    assert "error: ConnectionFailedError: connection refused" in text


def test_md_text_and_md_code():
    assert md_text("a|b\nc *d* <e>") == "a\\|b ↵ c \\*d\\* \\<e\\>"
    assert md_code("has `tick`") == "`` has `tick` ``"
    assert md_code("") == "*(empty)*"
    assert md_code(None) == "*(no output)*"


def test_three_adapters_compare_every_pair(make_run, make_record):
    run = make_run([make_record("a", name) for name in ("v1", "v2", "base")])
    (path,) = write_reports(run, ["markdown"])
    lines = path.read_text().splitlines()
    assert [line.split(" | ")[:2] for line in lines if line.startswith("| v")][-3:] == [
        ["| v1", "v2"],
        ["| v1", "base"],
        ["| v2", "base"],
    ]
    assert "- v1 and v2 agree on all 1 case they both ran." in lines
    assert any(
        line.startswith("*Each p-value tests one pair on its own; with 3 pairs") for line in lines
    )
