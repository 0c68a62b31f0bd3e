"""``harness validate SUITE...``: load each suite and report every problem, sending nothing."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.exits import ExitCode, handle_errors
from harness.errors import SuiteError
from harness.suite.load import load_suite


@click.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@handle_errors
def validate(suites: tuple[Path, ...]) -> None:
    """Check suite files without running them (exit 0 valid, 4 invalid)."""
    bad = 0
    for path in suites:
        try:
            # parse the code the suite names (custom checks, class paths); never run it
            suite = load_suite(path, run_code=False)
        except SuiteError as exc:
            bad += 1
            click.echo(exc.render(), err=True)
            continue
        for warning in suite.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(
            f"{path}: ok ({len(suite.cases)} cases, {len(suite.candidates)} adapters: "
            f"{', '.join(a.name for a in suite.candidates)})"
        )
    if bad:
        raise SystemExit(ExitCode.USAGE_ERROR)
