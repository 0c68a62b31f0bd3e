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
from harness.report.forked import Forked
from harness.report.html_charts import chart
from harness.report.html_data import case_data, pack_json, split_texts
from harness.report.html_view import extras_table, forest_rows, run_cards

if TYPE_CHECKING:
    from harness.analysis.paired.document import CompareDocument

__all__ = [
    "COMPARE_HTML_FILE",
    "HTML_FILE",
    "pack_blocks",
    "render_page",
    "write_compare_html",
    "write_html",
]

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


def pack_blocks(data: dict[str, Any]) -> dict[str, tuple[str, Markup]]:
    """The drill-down's records as the page's two JSON blocks (index, texts), packed."""
    from harness.records.redaction import current

    index, texts = split_texts(data)
    scrub = current().text
    # Markup: pack_json leaves no "<" in either block (escaped, or base64)
    return {
        name: (encoding, Markup(text))  # noqa: S704
        for name, (encoding, text) in (
            (name, pack_json(part, scrub)) for name, part in (("data", index), ("text", texts))
        )
    }


def render_page(template: str, **context: Any) -> str:
    """Render ``template`` with ``data`` (the drill-down's records) embedded as safe JSON,
    or with ``blocks`` already packed by :func:`pack_blocks`."""
    blocks = context.pop("blocks", None) or pack_blocks(context.pop("data"))
    return _environment().get_template(template).render(blocks=blocks, **context)


def _forest_chart(summary: RunSummary) -> list[dict[str, str]]:
    from harness.report.html_charts import forest_svg

    forest = forest_rows(
        [(f"{c.adapter_b} vs {c.adapter_a}", c.figures) for c in summary.comparisons]
    )
    made = chart("Compared figures: change with 95% interval", forest_svg(forest))
    return [made] if made else []


def _summary_charts(summary: RunSummary, out_dir: Path) -> list[dict[str, str]]:
    """Pass rate, latency and TTFT (as the PNG files), then the latency and TTFT ECDFs."""
    from harness.report.charts import chart_figures, svg
    from harness.report.html_charts import ecdf_svg

    names = summary.adapter_names
    emulated = [a.name for a in summary.adapters if ttft_label(a)]
    made: list[dict[str, str] | None] = []
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
    ]
    return [c for c in made if c is not None]


def write_html(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``report.html`` for the run in ``out_dir``; the drill-down is made from the records
    the summary read (read from ``out_dir`` only when the summary holds none).

    The forest plot and the other summary charts are drawn in forked children on other cores
    (:mod:`harness.report.forked`) while this process builds and packs the drill-down.
    """
    from harness.report.html_charts import tag_heatmap_svg

    with (
        Forked(lambda: _forest_chart(summary)) as forest,
        Forked(lambda: _summary_charts(summary, out_dir)) as others,
    ):
        cases = case_data(summary.records(out_dir), summary.adapter_names)
        cases.data["mode"] = "run"
        heatmap = chart(
            "Pass rate per tag", tag_heatmap_svg(cases.tag_rates, summary.adapter_names)
        )
        content = build_content(summary)
        context = {
            "title": content.title,
            "c": content,
            "cards": run_cards(summary),
            "extras": extras_table(summary, cases.extras),
            "blocks": pack_blocks(cases.data),
        }
        charts = forest.result() + others.result() + ([heatmap] if heatmap else [])
    text = render_page("report.html.j2", charts=charts, **context)
    return [write_text(out_dir / HTML_FILE, text)]


def write_compare_html(doc: CompareDocument, out_dir: Path) -> Path:
    """Write ``compare.html`` beside ``compare.json``: verdicts, forest plot, flipped cases."""
    from harness.report.compare_html import compare_context

    return write_text(
        out_dir / COMPARE_HTML_FILE, render_page("compare.html.j2", **compare_context(doc))
    )
