"""report.md and compare.md fit a GitHub comment: cut at whole rows and blocks, with a note."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.analysis.paired.document import compare_sources, resolve_pairs
from harness.analysis.paired.sources import load_source
from harness.analysis.summarize import summarize_records
from harness.records import AdapterInfo, CaseRecord, MetricResult, RunManifest
from harness.report.compare_md import render_compare_md
from harness.report.content import build_content
from harness.report.markdown import render_markdown
from harness.report.md_limit import GITHUB_COMMENT_LIMIT, fit_markdown
from tests.analysis.test_compare_frame_sources import make_record, write_run

NOTE = "*Truncated to fit GitHub's 65,536-character comment limit"
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


def _columns(line: str) -> int:
    """Cells of a table row: pipes not escaped by a backslash (an even run of them before)."""
    count, backslashes = 0, 0
    for char in line:
        if char == "|" and backslashes % 2 == 0:
            count += 1
        backslashes = backslashes + 1 if char == "\\" else 0
    return count - 1


def _tables_intact(text: str) -> int:
    """Assert every table row has its header's cells and the fences close; the tables seen."""
    lines = text.splitlines()
    tables, fence, width = 0, "", 0
    for i, line in enumerate(lines):
        if fence:
            fence = "" if line.strip() == fence else fence
            continue
        if line.startswith("```"):
            fence = re.match(r"`+", line).group()  # type: ignore[union-attr]
            continue
        if not line.startswith("|"):
            width = 0
            continue
        if width == 0:  # a header: its separator follows, then rows
            assert SEPARATOR.match(lines[i + 1]), f"table without separator at line {i + 1}"
            assert i + 2 < len(lines) and lines[i + 2].startswith("|"), "table without rows"
            width, tables = _columns(line), tables + 1
        assert _columns(line) == width, f"line {i + 1} breaks its table: {line[:120]}"
    assert not fence, "a fenced block was left open"
    return tables


def _big_run() -> str:
    """10,000 cases x 2 adapters; v2 fails every third case with a long, hostile answer."""
    hostile = "| pipe `tick` <b>x</b>\n" + "z" * 400
    records = []
    for i in range(10_000):
        for adapter in ("v1", "v2"):
            failed = adapter == "v2" and i % 3 == 0
            records.append(
                CaseRecord(
                    run_id="big",
                    case_id=f"case-{i:05d}",
                    adapter=adapter,
                    prompt=f"question {i} | with a pipe",
                    output=hostile if failed else f"answer {i}",
                    passed=not failed,
                    expectations=[
                        MetricResult(name="contains", passed=not failed, reason="missing 'x'")
                    ],
                    latency_ms=100.0 + i % 50,
                    started_at="2026-01-01T12:00:00Z",
                )
            )
    manifest = RunManifest(
        run_id="big",
        suite_name="big",
        suite_path="big.yaml",
        suite_sha256="0" * 64,
        harness_version="0",
        adapters=[AdapterInfo(name=n, type="scripted", model="m") for n in ("v1", "v2")],
        case_count=10_000,
        started_at="2026-01-01T12:00:00Z",
    )
    return render_markdown(build_content(summarize_records(manifest, records)), [])


@pytest.fixture(scope="module")
def big_md() -> str:
    return _big_run()


def test_a_10000_case_report_fits_with_whole_tables_and_a_note(big_md: str) -> None:
    assert len(big_md) <= GITHUB_COMMENT_LIMIT
    assert _tables_intact(big_md) >= 4
    last = big_md.rstrip("\n").splitlines()[-1]
    assert last.startswith(NOTE) and "results.jsonl" in last
    assert re.search(r"left out [\d,]+ rows of Per-case results", last), last
    lines = big_md.splitlines()
    # verdicts and the summary survive, before the cases
    assert lines.index("## Verdicts") < lines.index("## Summary") < lines.index("## Failing cases")
    assert any(line.startswith("- v2 passes") or "v1 passes" in line for line in lines)
    assert any(line.startswith("| v2 | 10000 |") for line in lines)
    # the per-case table keeps its first rows, in order, and loses the rest
    cases = [
        line for line in lines if re.match(r"\| case-\d{5} \| (pass|FAIL) \| (pass|FAIL) \|", line)
    ]
    assert cases[0].startswith("| case-00000 |") and 0 < len(cases) < 10_000
    assert not any(line.startswith("| case-09999 |") for line in lines)


def test_a_small_report_is_not_cut(written_reports: dict[str, object]) -> None:
    md = (Path(str(written_reports["run_dir"])) / "report.md").read_text(encoding="utf-8")
    assert "Truncated" not in md
    assert md.rstrip().splitlines()[-1].startswith("| c11 |")
    assert _tables_intact(md) >= 5


def test_cut_keeps_whole_fences_and_rows_and_drops_a_dangling_heading() -> None:
    table = ["| a | b |", "|---|---|", *(f"| {i} | x |" for i in range(50))]
    fenced = ["```text", "line\n" * 30, "```"]
    intro = "p" * 200
    text = "\n".join(
        ["# T", "", intro, "", *table, "", "## Fenced", "", *fenced, "", "## End", "tail"]
    )
    for limit in range(350, len(text)):
        cut = fit_markdown(text, "Rest: elsewhere.", limit)
        assert len(cut) <= limit
        _tables_intact(cut)
        body = cut.rstrip("\n").splitlines()[:-2]  # the blank line and the note
        assert body[-1].strip() and not body[-1].startswith("#"), body[-3:]
        assert cut.splitlines()[-1].endswith("Rest: elsewhere.*")
    assert fit_markdown(text, "x", len(text)) == text


def test_compare_md_with_many_long_flips_fits(tmp_path: Path) -> None:
    """400 cases; v2 fails 200 with 2,000-character answers: 50 flips of two fenced blocks."""
    answer = "```\n| not a table |\n" + "y" * 2_100
    records = []
    for i in range(400):
        case = f"c{i:03d}"
        records.append(make_record("r", "v1", case, True, output=answer))
        records.append(make_record("r", "v2", case, i % 2 == 1, output=answer))
    run = load_source(write_run(tmp_path, "r", records), "BASE")
    doc = compare_sources(
        run, run, resolve_pairs(run, run, ("v1:v2",)), seed=0, alpha=0.05, harness_version="0"
    )
    md = render_compare_md(doc)
    assert len(md) <= GITHUB_COMMENT_LIMIT
    _tables_intact(md)
    assert md.rstrip().splitlines()[-1].startswith(NOTE)
    assert "compare.json" in md.rstrip().splitlines()[-1]
    assert md.index("## Verdicts") < md.index("| Figure |")
