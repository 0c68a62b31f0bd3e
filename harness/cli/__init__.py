"""The ``harness`` command: a click group; each sub-command lives in its own module.

Sub-commands load lazily: ``harness --help`` lists them from the table below without
importing any, and ``harness validate`` imports what validating needs and nothing else
(no model clients, no reporting stack). A test keeps the table's help lines in step with
the commands' own.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

import click

from harness import __version__
from harness.cli.exits import EXIT_CODES_HELP, ExitCode, RunNotCompleted, handle_errors

__all__ = ["COMMANDS", "ExitCode", "RunNotCompleted", "cli", "handle_errors", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "baseline": (
        "harness.cli.baseline:baseline",
        "Save a run as a baseline file that harness gate and harness compare read like a run.",
    ),
    "bench": (
        "harness.cli.bench:bench",
        "Measure throughput against latency for each adapter of SUITE.",
    ),
    "compare": (
        "harness.cli.compare:compare",
        "Compare adapters figure by figure with paired statistics: better, worse or no difference.",
    ),
    "emulator": (
        "harness.cli.emulator:emulator",
        "Run the embedded API emulator: simulated models over the Gradient and OpenAI APIs.",
    ),
    "export": (
        "harness.cli.export:export",
        "Write a run's records as one flat table (Parquet or CSV), one row per request.",
    ),
    "gate": (
        "harness.cli.gate:gate",
        "Evaluate quality gates on a saved run: exit 0 all passed, 1 a gate failed, 4 a problem.",
    ),
    "history": (
        "harness.cli.history:history",
        "Draw each figure of a suite across its runs over time: trend chart plus table.",
    ),
    "init": (
        "harness.cli.init:init",
        "Write a starter suite (the quickstart and its emulator models) into DIR, by default here.",
    ),
    "list": (
        "harness.cli.catalogue:list_",
        "List the registered adapter types or metrics (expectations) with their options.",
    ),
    "merge": (
        "harness.cli.merge:merge",
        "Join shard runs of one suite into one run folder.",
    ),
    "plan": (
        "harness.cli.plan:plan",
        "Plan a suite's size from a pilot run: cases (and repeats) needed to detect a change.",
    ),
    "report": (
        "harness.cli.report:report",
        "Write report.md, report.html, summary.json and charts for a saved run folder.",
    ),
    "run": (
        "harness.cli.run:run",
        "Send every case of SUITE to every adapter, score the answers, and write a report.",
    ),
    "schema": (
        "harness.cli.schema:schema",
        "Print the JSON Schema of suite files (point your editor's YAML plugin at it).",
    ),
    "validate": (
        "harness.cli.validate:validate",
        "Check suite files without running them (exit 0 valid, 4 invalid).",
    ),
}
"""Command name → ("module:attribute", its one-line help as ``harness --help`` shows it)."""


class _Group(click.Group):
    """Loads a sub-command only when it runs; click's usage errors exit 4 (pytest's table)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, _, attribute = entry[0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except click.ClickException as exc:
            exc.show()
            sys.exit(ExitCode.USAGE_ERROR)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


@click.group(cls=_Group, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="harness")
@click.option("--debug", is_flag=True, help="Show tracebacks for input errors too.")
def cli(debug: bool) -> None:
    """Evaluate and benchmark LLM model adapters from declarative YAML suites."""


def main() -> None:
    """The console script: runs the command, then exits without a last sweep of the heap.

    ``gc.freeze`` moves every object the command made out of the collector's reach, so tearing
    the interpreter down takes milliseconds instead of a few hundred after a run that loaded
    llama-index. Only here: a test calling ``cli`` in its own process keeps its collector.
    """
    try:
        cli(prog_name="harness")
    finally:
        gc.freeze()
