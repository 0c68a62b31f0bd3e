"""``harness merge RUN_DIR...``: join shard runs of one suite into one run folder."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.exits import handle_errors

__all__ = ["merge"]


@click.command(short_help="Join shard runs of one suite into one run folder.")
@click.argument(
    "run_dirs",
    metavar="RUN_DIR...",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Folder that receives the merged run folder <run-id>/.",
)
@click.option("--run-id", help="Name of the merged run folder (default: time, suite, 'merged').")
@handle_errors
def merge(run_dirs: tuple[Path, ...], output_dir: Path, run_id: str | None) -> None:
    """Merge runs of the same suite (e.g. `harness run --shard I/N` in a CI matrix).

    Records are joined in the order the folders are given; when a case, adapter and repeat
    occur in more than one, the later folder wins. Runs of different suites are refused.
    Prints the merged run folder; `harness report` builds its reports.
    """
    from harness.records.merge import merge_runs

    click.echo(str(merge_runs(run_dirs, output_dir, run_id)))
