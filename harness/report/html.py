"""The HTML reports (``report.html``, ``compare.html``): one self-contained file each.

Verdicts first, then the summary tables and charts, then a drill-down of every case. Jinja2
runs with ``autoescape=True`` because prompts, outputs and names are untrusted; the only
values marked safe are the page's own CSS/JS and the record data, which :func:`pack_json`
writes with every ``<`` escaped (or, for large reports, gzipped in base64), so no text can
leave its ``<script type="application/json">`` block. The page's script inserts every text with
``textContent``, never as HTML. Charts are SVG in ``<img src="data:...">`` (an image cannot
run script), so nothing loads from the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from harness.analysis.summarize import RunSummary
from harness.report.base import write_text
from harness.report.charts import CHART_TITLES
from harness.report.content import build_content, ttft_label
from harness.report.html_charts import chart
from harness.report.html_data import case_data, pack_json, split_texts
from harness.report.html_view import extras_table, forest_rows, run_cards

if TYPE_CHECKING:
    from harness.analysis.paired.document import CompareDocument

__all__ = ["COMPARE_HTML_FILE", "HTML_FILE", "render_page", "write_compare_html", "write_html"]

HTML_FILE = "report.html"
COMPARE_HTML_FILE = "compare.html"


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, **context: Any) -> str:
    """Render ``template`` with ``data`` (the drill-down's records) embedded as safe JSON."""
    from harness.records.redaction import current

    index, texts = split_texts(context.pop("data"))
    scrub = current().text
    blocks = {name: pack_json(part, scrub) for name, part in (("data", index), ("text", texts))}
    return (
        _environment()
        .get_template(template)
        .render(
            # Markup: pack_json leaves no "<" in either block (escaped, or base64)
            blocks={name: (enc, Markup(text)) for name, (enc, text) in blocks.items()},  # noqa: S704
            **context,
        )
    )


def _run_charts(summary: RunSummary, out_dir: Path, tag_rates: Any) -> list[dict[str, str]]:
    from harness.report.charts import chart_figures, svg
    from harness.report.html_charts import ecdf_svg, forest_svg, tag_heatmap_svg

    names = summary.adapter_names
    emulated = [a.name for a in summary.adapters if ttft_label(a)]
    forest = forest_rows(
        [(f"{c.adapter_b} vs {c.adapter_a}", c.figures) for c in summary.comparisons]
    )
    made: list[dict[str, str] | None] = [
        chart("Compared figures: change with 95% interval", forest_svg(forest)),
    ]
    for name, fig in chart_figures(summary).items():
        png = out_dir / name
        made.append(
            chart(CHART_TITLES[name], svg(fig), png.read_bytes() if png.is_file() else None)
        )
    made += [
        chart(
            "Latency ECDF (ms)",
            ecdf_svg(
                {a.name: a.latency_samples_ms for a in summary.adapters}, names, what="latency"
            ),
        ),
        chart(
            "TTFT ECDF (ms)",
            ecdf_svg(
                {a.name: a.ttft_samples_ms for a in summary.adapters},
                names,
                what="TTFT",
                emulated=emulated,
            ),
        ),
        chart("Pass rate per tag", tag_heatmap_svg(tag_rates, names)),
    ]
    return [c for c in made if c is not None]


def write_html(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``report.html`` for the run in ``out_dir``; the drill-down is made from the records
    the summary read (read from ``out_dir`` only when the summary holds none)."""
    cases = case_data(summary.records(out_dir), summary.adapter_names)
    cases.data["mode"] = "run"
    content = build_content(summary)
    text = render_page(
        "report.html.j2",
        title=content.title,
        c=content,
        cards=run_cards(summary),
        extras=extras_table(summary, cases.extras),
        charts=_run_charts(summary, out_dir, cases.tag_rates),
        data=cases.data,
    )
    return [write_text(out_dir / HTML_FILE, text)]


def write_compare_html(doc: CompareDocument, out_dir: Path) -> Path:
    """Write ``compare.html`` beside ``compare.json``: verdicts, forest plot, flipped cases."""
    from harness.report.compare_html import compare_context

    return write_text(
        out_dir / COMPARE_HTML_FILE, render_page("compare.html.j2", **compare_context(doc))
    )
