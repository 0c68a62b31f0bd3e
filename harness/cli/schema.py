"""``harness schema``: print the suite format's JSON Schema (for editors and CI checks)."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.exits import handle_errors


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
@handle_errors
def schema(output: Path | None) -> None:
    """Print the JSON Schema of suite files (point your editor's YAML plugin at it)."""
    from harness.suite.schema import suite_schema_json

    text = suite_schema_json()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
