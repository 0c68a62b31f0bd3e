"""Help text stays honest: every command answers --help and names what it does today."""

from __future__ import annotations

import click
import pytest

from tests.cli.conftest import RunCli


@pytest.mark.parametrize(
    ("command", "fragments"),
    [
        (
            (),
            [
                "run",
                "validate",
                "bench",
                "merge",
                "schema",
                "list",
                "report",
                "emulator",
                "Exit codes",
            ],
        ),
        (
            ("run",),
            [
                "--concurrency",
                "--repeat",
                "--resume",
                "--shard",
                "--cache",
                "--record",
                "--retries",
                "--rpm",
                "--seed",
                "--warmup",
                "--timeout",
                "--no-reports",
            ],
        ),
        (("validate",), ["exit 0 valid, 4 invalid"]),
        (("bench",), ["--concurrency", "--rate", "--requests", "bench.json"]),
        (("merge",), ["RUN_DIR"]),
        (("schema",), ["JSON Schema"]),
        (("list",), ["adapters", "metrics"]),
        (("report",), ["RUN_DIR", "--only"]),
        (("emulator", "serve"), ["--port", "CONFIG"]),
    ],
)
def test_help(run_cli: RunCli, command: tuple[str, ...], fragments: list[str]) -> None:
    proc = run_cli(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stdout, (command, fragment)


def test_lazy_command_table_matches_the_commands() -> None:
    """`harness --help` lists commands without importing them; their lines must not drift."""
    from harness.cli import COMMANDS, cli

    ctx = click.Context(cli)
    for name, (_, line) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=1000) == line, name
