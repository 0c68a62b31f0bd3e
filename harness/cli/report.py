"""``harness report RUN_DIR``: rebuild a run's reports from its records, calling no model."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.exits import handle_errors


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--only",
    "names",
    multiple=True,
    help="Write only this reporter (markdown, html, charts); repeatable.",
)
@handle_errors
def report(run_dir: Path, names: tuple[str, ...]) -> None:
    """Write report.md, report.html and charts for a saved run folder."""
    from harness.report import write_reports

    for path in write_reports(run_dir, list(names) or None):
        click.echo(str(path))
