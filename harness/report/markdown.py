"""The Markdown report (``report.md``): GitHub-flavoured tables, safe for untrusted model text.

Model output goes into code spans (rendered literally, so no Markdown or HTML in it takes
effect); other text is backslash-escaped. ``|`` is escaped and newlines are shown as ``↵``
so a cell never breaks its table row.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.analysis.summarize import RunSummary, clip_text
from harness.report.charts import CHART_TITLES
from harness.report.content import ReportContent, Table, build_content
from harness.report.files import write_text
from harness.report.md_limit import GITHUB_COMMENT_LIMIT, fit_markdown

__all__ = [
    "MARKDOWN_FILE",
    "OUTPUT_LIMIT",
    "TRUNCATED_WHERE",
    "md_code",
    "md_table",
    "md_text",
    "render_markdown",
]

MARKDOWN_FILE = "report.md"
OUTPUT_LIMIT = 200
"""Characters of a prompt or output shown in a Markdown cell."""
TRUNCATED_WHERE = "Every case is in report.html and every record in results.jsonl."

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_BACKTICKS = re.compile(r"`+")


def _one_line(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ↵ ")


def md_text(text: str) -> str:
    """Escape text for a table cell: Markdown/HTML specials, ``|`` and newlines."""
    return _SPECIAL.sub(r"\\\1", _one_line(text))


def md_code(text: str | None, limit: int = OUTPUT_LIMIT) -> str:
    """Untrusted text (prompt, output) as a one-line code span in a table cell, clipped."""
    if text is None:
        return "*(no output)*"
    if not text:
        return "*(empty)*"
    body = _one_line(clip_text(text, limit)).replace("|", "\\|")
    # A fence one backtick longer than any run inside; pad so edge backticks stay content.
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(body)), default=0) + 1)
    return f"{fence} {body} {fence}"


def md_table(table: Table, escape: bool = True) -> list[str]:
    """A GitHub table: header, separator and one line per row, cells escaped."""

    def cell(text: str) -> str:
        return md_text(text) if escape else text

    lines = [
        "| " + " | ".join(cell(c) for c in table.columns) + " |",
        "|" + "|".join("---" for _ in table.columns) + "|",
    ]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    return lines


def render_markdown(
    content: ReportContent, charts: list[str], limit: int | None = GITHUB_COMMENT_LIMIT
) -> str:
    """The report as Markdown; ``charts`` are PNG file names next to the report to link.

    Verdicts and the summary come first, so a report cut to ``limit`` characters (GitHub's
    comment limit; None: no limit) by :func:`fit_markdown` keeps them and drops cases.
    """
    out = [f"# {md_text(content.title)}", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| **{md_text(k)}** | {md_text(v)} |" for k, v in content.header]

    if content.errors is not None:
        out += ["", "## Why requests failed", "", *md_table(content.errors)]
        if content.error_notes:
            out += ["", *(f"*{md_text(note)}*" for note in content.error_notes)]

    out += ["", "## Verdicts", ""]
    if content.comparisons is None:
        out.append("Only one adapter ran; nothing to compare.")
    else:
        out += [f"- {md_text(v)}" for v in content.verdicts]
        out += ["", *(f"*{md_text(note)}*" for note in content.comparison_notes)]

    out += ["", "## Adapters", "", *md_table(content.adapters)]

    out += ["", "## Summary", "", *md_table(content.summary), ""]
    out += [f"- {md_text(note)}" for note in content.summary_notes]
    if content.expectations is not None:
        out += ["", "### Expectations (pass rate by metric)", "", *md_table(content.expectations)]
    if charts:
        out += ["", "### Charts", ""]
        out += [f"![{md_text(CHART_TITLES[c])}]({c})" for c in charts]

    if content.comparisons is not None:
        out += ["", "## Paired comparisons", "", *md_table(content.comparisons)]

    out += ["", "## Flakiness", "", md_text(content.flaky_note)]
    if content.flaky is not None:
        out += ["", *md_table(content.flaky)]

    out += ["", "## Failing cases"]
    if not content.failures:
        out += ["", "Every case passed."]
    for group in content.failures:
        out += ["", f"### {md_text(group.adapter)}: {group.total} not passed", ""]
        out += ["| Case | Result | Why | Prompt | Output |", "|---|---|---|---|---|"]
        for f in group.shown:
            why = "<br>".join(md_text(w) for w in f.why)
            out.append(
                f"| {md_text(f.case_id)} | {f.outcome} | {why} "
                f"| {md_code(f.prompt)} | {md_code(f.output)} |"
            )
        if group.hidden:
            out += ["", f"…and {group.hidden} more; every record is in `results.jsonl`."]

    out += ["", "## Per-case results", ""]
    columns = (*content.case_columns, "Differs")
    rows = tuple((c.case_id, *c.cells, "≠" if c.differs else "") for c in content.cases)
    out += md_table(Table(columns, rows))
    text = "\n".join(out) + "\n"
    if limit is None:
        return text
    return fit_markdown(text, TRUNCATED_WHERE, limit)


def write_markdown(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``report.md``; it links the chart PNGs already present in ``out_dir``."""
    charts = [name for name in CHART_TITLES if (out_dir / name).is_file()]
    text = render_markdown(build_content(summary), charts)
    return [write_text(out_dir / MARKDOWN_FILE, text)]
