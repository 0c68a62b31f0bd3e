"""Help text stays honest: every command answers --help and names what it does today."""

from __future__ import annotations

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
