"""The HTML report (``report.html``): one self-contained file, safe to open from any run.

Jinja2 runs with ``autoescape=True`` because prompts and outputs are untrusted text; nothing
in the template is marked ``|safe``. CSS is inline and charts are ``data:`` URIs, so the file
makes no network request and can be mailed or attached to a CI job as is.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from harness.analysis.summarize import RunSummary
from harness.report.base import write_text
from harness.report.charts import CHART_TITLES
from harness.report.content import ReportContent, build_content

__all__ = ["HTML_FILE", "render_html"]

HTML_FILE = "report.html"


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(content: ReportContent, charts: dict[str, bytes]) -> str:
    """The report as HTML; ``charts`` maps a chart file name to its PNG bytes."""
    images = [{"title": CHART_TITLES[name], "src": _data_uri(png)} for name, png in charts.items()]
    template = _environment().get_template("report.html.j2")
    return template.render(c=content, charts=images)


def write_html(summary: RunSummary, out_dir: Path) -> list[Path]:
    """Write ``report.html``, embedding the chart PNGs already present in ``out_dir``."""
    charts = {
        name: (out_dir / name).read_bytes() for name in CHART_TITLES if (out_dir / name).is_file()
    }
    text = render_html(build_content(summary), charts)
    return [write_text(out_dir / HTML_FILE, text)]
