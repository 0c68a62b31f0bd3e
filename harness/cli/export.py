"""``harness export RUN_DIR``: a run's records as one flat table, for pandas and spreadsheets."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.exits import handle_errors


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="Parquet keeps types (pandas.read_parquet); CSV opens in any spreadsheet.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default: RUN_DIR/records.parquet or records.csv).",
)
@handle_errors
def export(run_dir: Path, fmt: str, out: Path | None) -> None:
    """Write a run's records as one flat table (Parquet or CSV), one row per request.

    One row per case x adapter x repeat (a record superseded by a later one of the same key
    is left out, as in the reports), with the timings, the error and, for each expectation,
    columns expect:<name>:passed, expect:<name>:score and expect:<name>:reason.
    """
    from harness.report.export import export_run

    path, rows = export_run(run_dir, "csv" if fmt == "csv" else "parquet", out)
    click.echo(f"{path} ({rows} rows)")
