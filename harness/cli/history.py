"""``harness history REPORTS_DIR``: each figure of a suite across its saved runs, over time."""

from __future__ import annotations

import re
from pathlib import Path

import click

from harness.cli.exits import handle_errors
from harness.errors import HarnessError


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "suite"


@click.command()
@click.argument("reports_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--suite", "suite_name", help="Only this suite (default: every suite found).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: REPORTS_DIR/history-<suite>/; with several suites, "
    "OUT/history-<suite>/ each).",
)
@handle_errors
def history(reports_dir: Path, suite_name: str | None, out: Path | None) -> None:
    """Draw each figure of a suite across its runs over time: trend chart plus table.

    Finds the run folders under REPORTS_DIR (run.json beside results.jsonl), groups them by
    suite name and orders them by start time. Writes trend.png, trend.svg, history.md and
    history.json; a run whose suite hash changed is marked. Figures come from each run's
    summary.json, or from its records when it has none.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from harness.analysis.history import build_history, find_runs
    from harness.report.history_report import history_table, write_history

    found = find_runs(reports_dir)
    for skipped in found.skipped:
        click.echo(f"note: skipped {skipped.path}: {skipped.reason}", err=True)
    if not found.suites:
        raise HarnessError(f"{reports_dir}: no run folders (run.json with results.jsonl) found")
    names = sorted(found.suites)
    if suite_name is not None:
        if suite_name not in found.suites:
            raise HarnessError(
                f"no runs of suite {suite_name!r} under {reports_dir}; "
                f"suites found: {', '.join(names)}"
            )
        names = [suite_name]
    console = Console(width=None if Console().is_terminal else 200)
    for name in names:
        doc = build_history(name, found.suites[name], found.skipped)
        folder = f"history-{_slug(name)}"
        target = (out if len(names) == 1 else out / folder) if out else reports_dir / folder
        lines = history_table(doc)
        table = Table(title=f"{name}: {len(doc.runs)} runs, oldest first")
        for column in lines.columns:
            table.add_column(column, overflow="fold")
        for row in lines.rows:
            table.add_row(*(Text(cell) for cell in row))  # names are text, not rich markup
        console.print(table)
        for path in write_history(doc, target):
            click.echo(str(path))
