"""``harness baseline save RUN --to FILE``: a run's results as a small file a team commits."""

from __future__ import annotations

from pathlib import Path

import click

from harness import __version__
from harness.cli.exits import handle_errors

__all__ = ["baseline"]


@click.group()
def baseline() -> None:
    """Save a run as a baseline file that harness gate and harness compare read like a run."""


@baseline.command()
@click.argument("run_path", metavar="RUN", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The baseline file to write (JSON).",
)
@handle_errors
def save(run_path: Path, to: Path) -> None:
    """Write RUN's per-case results, summary and conditions to a deterministic JSON file.

    Sorted keys, fixed float precision and one case per line: saving the same run twice gives
    the same bytes, and a refreshed baseline reads as a line diff.
    """
    from harness.cli.gate import load_input
    from harness.gates.baseline import baseline_json, make_baseline

    loaded = load_input(run_path, "RUN")
    text = baseline_json(make_baseline(loaded, harness_version=__version__))
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_text(text, encoding="utf-8")
    click.echo(
        f"baseline: {to} ({len(text.encode()):,} bytes; suite {loaded.source.manifest.suite_name}, "
        f"{len(loaded.source.adapters)} adapter(s), run {loaded.source.run_id})"
    )
