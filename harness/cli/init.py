"""``harness init [DIR]``: write the starter suite, so an installed harness runs outside a checkout.

After ``pip install llm-adapter-harness`` there is no ``suites/`` folder to run; this command
writes the quickstart suite and its emulator models (package data, ``harness/starter``) and the
suite JSON Schema its first line points editors at, then names the command that runs it.
"""

from __future__ import annotations

import shlex
from importlib.resources import files
from pathlib import Path

import click

from harness.cli.exits import handle_errors

__all__ = ["SCHEMA_FILE", "init"]

SCHEMA_FILE = "docs/suite.schema.json"
"""Where the schema goes: the quickstart's ``$schema=../docs/suite.schema.json`` resolves to it."""


@click.command()
@click.argument(
    "directory",
    metavar="[DIR]",
    default=".",
    type=click.Path(path_type=Path, file_okay=False),
)
@click.option("--force", is_flag=True, help="Overwrite starter files that already exist.")
@handle_errors
def init(directory: Path, force: bool) -> None:
    """Write a starter suite (the quickstart and its emulator models) into DIR, by default here.

    Writes suites/quickstart.yaml, suites/emulator/quickstart-models.yaml and
    docs/suite.schema.json. Refuses, writing nothing, when any of them exists, unless --force.
    """
    from harness.starter import STARTER_FILES
    from harness.suite.schema import suite_schema_json

    starter = files("harness.starter")
    contents = {name: starter.joinpath(name).read_bytes() for name in STARTER_FILES}
    contents[SCHEMA_FILE] = suite_schema_json().encode("utf-8")
    existing = [name for name in contents if (directory / name).exists()]
    if existing and not force:
        listed = ", ".join(str(directory / name) for name in existing)
        raise click.ClickException(
            f"not overwriting {listed}; nothing was written (use --force to overwrite)"
        )
    for name, data in contents.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        click.echo(f"wrote {target}")
    prefix = "" if directory == Path(".") else f"cd {shlex.quote(str(directory))} && "
    click.echo(f"next: {prefix}harness run suites/quickstart.yaml")
