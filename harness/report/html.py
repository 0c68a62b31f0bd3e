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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from harness.analysis.summarize import RunSummary
from harness.report.charts import CHART_TITLES
from harness.report.content import build_content, ttft_label
from harness.report.files import write_text
from harness.report.forked import Forked, can_fork
from harness.report.html_charts import chart
from harness.report.html_data import AdapterExtras, case_data, pack_json, split_texts
from harness.report.html_view import extras_table, forest_rows, run_cards

if TYPE_CHECKING:
    from harness.analysis.paired.document import CompareDocument
    from harness.records.columns import RecordColumns

__all__ = [
    "COMPARE_HTML_FILE",
    "HTML_FILE",
    "discard_drilldowns",
    "pack_blocks",
    "render_page",
    "start_drilldown",
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


@dataclass(frozen=True)
class _Drilldown:
    """report.html's drill-down, packed, with what the page's other parts take from it."""

    names: list[str]
    blocks: dict[str, tuple[str, Markup]]
    extras: dict[str, AdapterExtras]
    tag_rates: dict[str, dict[str, tuple[int, int]]]


def _drilldown(records: RecordColumns, names: list[str]) -> _Drilldown:
    cases = case_data(records, names)
    cases.data["mode"] = "run"
    return _Drilldown(names, pack_blocks(cases.data), cases.extras, cases.tag_rates)


_EARLY: dict[int, tuple[RecordColumns, Forked[_Drilldown]]] = {}
"""Drill-downs started before the statistics, by the identity of the records they read."""


def start_drilldown(records: RecordColumns, names: list[str]) -> None:
    """Start building report.html's drill-down from ``records`` in a forked child now, while
    the caller computes the run's statistics (``summarize_run(on_read=...)``); ``names``:
    the summary's adapter order. Nothing happens where no child can be forked."""
    if can_fork():
        _EARLY[id(records)] = (records, Forked(lambda: _drilldown(records, names)))


def discard_drilldowns() -> None:
    """Stop every drill-down started early that no report took (a build failed before)."""
    while _EARLY:
        _, (_, job) = _EARLY.popitem()
        job.close()


def _take_drilldown(records: RecordColumns, names: list[str]) -> _Drilldown:
    records_read, job = _EARLY.pop(id(records), (None, None))
    if job is None or records_read is not records:
        return _drilldown(records, names)
    with job:
        found = job.result()
    return found if found.names == names else _drilldown(records, names)


def write_html(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``report.html`` for the run in ``out_dir``; the drill-down is made from the records
    the summary read (read from ``out_dir`` only when the summary holds none).

    Work is spread over the cores where forking is safe (:mod:`harness.report.forked`): the
    drill-down may have been started before the statistics (:func:`start_drilldown`), and
    the forest plot and the other summary charts are drawn in children meanwhile.
    """
    from harness.report.html_charts import tag_heatmap_svg

    names = summary.adapter_names
    with (
        Forked(lambda: _forest_chart(summary)) as forest,
        Forked(lambda: _summary_charts(summary, out_dir)) as others,
    ):
        drill = _take_drilldown(summary.records(out_dir), names)
        heatmap = chart("Pass rate per tag", tag_heatmap_svg(drill.tag_rates, names))
        content = build_content(summary)
        context = {
            "title": content.title,
            "c": content,
            "cards": run_cards(summary),
            "extras": extras_table(summary, drill.extras),
            "blocks": drill.blocks,
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
