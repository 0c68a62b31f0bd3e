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
    help="Write only this reporter (markdown, html, charts, summary); repeatable.",
)
@handle_errors
def report(run_dir: Path, names: tuple[str, ...]) -> None:
    """Write report.md, report.html, summary.json and charts for a saved run folder.

    A (case_id, adapter, repeat) found more than once in results.jsonl counts once, with its
    latest record (as a resume does); a warning names how many and an example.
    """
    from harness.report import write_reports

    def warn(text: str) -> None:
        click.echo(f"warning: {text}", err=True)

    for path in write_reports(run_dir, list(names) or None, warn=warn):
        click.echo(str(path))
