"""What ``harness history`` writes for a suite: history.json, history.md and the trend chart.

The table (one row per run and adapter, oldest first) is built once here as plain cells, so
the console (rich) and history.md show the same text.
"""

from __future__ import annotations

from pathlib import Path

from harness.analysis.history import AdapterPoint, HistoryDocument
from harness.report.content import NOT_RUN, Table, format_ms
from harness.report.files import write_text
from harness.report.markdown import md_table, md_text
from harness.report.md_limit import fit_markdown
from harness.report.trend_chart import TREND_PNG, write_trend_chart

__all__ = [
    "HISTORY_JSON",
    "HISTORY_MD",
    "SUITE_CHANGED",
    "history_table",
    "render_history_md",
    "write_history",
]

HISTORY_JSON = "history.json"
HISTORY_MD = "history.md"
SUITE_CHANGED = "⚠ changed"
"""The Suite cell of a run whose suite hash differs from the previous run's (text, not colour)."""


def _rate(point: AdapterPoint) -> str:
    if point.pass_rate is None:
        return NOT_RUN
    text = f"{100 * point.pass_rate:.1f}%"
    if point.pass_rate_low is not None and point.pass_rate_high is not None:
        text += f" ({100 * point.pass_rate_low:.1f}–{100 * point.pass_rate_high:.1f}%)"
    return text


def _ttft(point: AdapterPoint, value: float | None) -> str:
    return format_ms(value) + (" (emulated)" if point.ttft_emulated and value is not None else "")


def history_table(doc: HistoryDocument) -> Table:
    """One row per run and adapter, oldest run first."""
    rows = []
    for run in doc.runs:
        suite = run.suite_sha256[:8] + (f" {SUITE_CHANGED}" if run.suite_changed else "")
        for p in run.adapters:
            rows.append(
                (
                    run.run_id,
                    run.started_at,
                    suite,
                    p.adapter,
                    str(p.cases),
                    _rate(p),
                    format_ms(p.latency_p50_ms),
                    format_ms(p.latency_p95_ms),
                    _ttft(p, p.ttft_p50_ms),
                    _ttft(p, p.ttft_p95_ms),
                    NOT_RUN if p.tokens_per_s_p50 is None else f"{p.tokens_per_s_p50:.1f}",
                    f"{p.errored} of {p.requests}",
                )
            )
    columns = (
        "Run",
        "Started (UTC)",
        "Suite",
        "Adapter",
        "Cases",
        "Pass rate (95% CI)",
        "Latency p50 (ms)",
        "Latency p95 (ms)",
        "TTFT p50 (ms)",
        "TTFT p95 (ms)",
        "Tokens/s p50",
        "Errored",
    )
    return Table(columns, tuple(rows))


def render_history_md(doc: HistoryDocument, chart: bool) -> str:
    """history.md: the table, the chart (when drawn) and the notes; cut to GitHub's limit."""
    runs = f"{len(doc.runs)} run" + ("" if len(doc.runs) == 1 else "s")
    out = [f"# History of {md_text(doc.suite_name)}: {runs}", ""]
    changed = [r.run_id for r in doc.runs if r.suite_changed]
    if changed:
        out += [
            f"The suite changed (another suite hash) at run {', '.join(map(md_text, changed))} "
            f"(marked {SUITE_CHANGED}): figures may move there because the cases did.",
            "",
        ]
    if chart:
        out += [f"![Figures across runs]({TREND_PNG})", ""]
    out += md_table(history_table(doc))
    from_records = [r.run_id for r in doc.runs if r.source == "records"]
    if from_records:
        out += [
            "",
            f"Read from the records (no summary.json): {', '.join(map(md_text, from_records))}; "
            "tokens/s is not shown for those runs.",
        ]
    if doc.skipped:
        out += ["", "Skipped folders:", ""]
        out += [f"- {md_text(s.path)}: {md_text(s.reason)}" for s in doc.skipped]
    text = "\n".join(out) + "\n"
    return fit_markdown(text, f"Every run's figures are in {HISTORY_JSON}.")


def write_history(doc: HistoryDocument, out_dir: Path) -> list[Path]:
    """Write the chart (PNG + SVG), history.md and history.json into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_trend_chart(doc, out_dir)
    written.append(write_text(out_dir / HISTORY_MD, render_history_md(doc, bool(written))))
    written.append(write_text(out_dir / HISTORY_JSON, doc.model_dump_json(indent=2) + "\n"))
    return written
