"""Reports built from a saved run: Markdown, self-contained HTML and PNG charts.

Importing this package is cheap: pandas, Jinja2 and matplotlib load when a report is written.
"""

from __future__ import annotations

from harness.report.base import Reporter, reporters, write_reports

__all__ = ["Reporter", "reporters", "write_reports"]
