"""The ``harness`` command: a click group; each sub-command lives in its own module."""

from __future__ import annotations

import click

from harness import __version__


@click.group()
@click.version_option(__version__, prog_name="harness")
def cli() -> None:
    """Evaluate and benchmark LLM model adapters."""


def main() -> None:
    cli()
