"""``harness gate`` through click's runner (in-process): every exit code of the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import harness.gates.evaluate
from harness.cli import cli
from tests.analysis.test_compare_frame_sources import make_record, write_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(
        tmp_path, "r", [make_record("r", "v1", f"c{i}", i % 4 != 0) for i in range(20)]
    )


def _gate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["gate", *args])
    return result.exit_code, result.output


def test_pass_and_fail(run_dir: Path) -> None:
    code, out = _gate(str(run_dir), "--gate", "pass_rate>=0.7", "--gate", "latency_p95_ms<=200")
    assert code == 0 and out.count("✓ pass") == 2 and "gates: passed" in out
    code, out = _gate(str(run_dir), "--gate", "pass_rate[v1]>=0.8")
    assert code == 1 and "✗ fail" in out and "1 of 1 gate check(s) failed" in out
    assert "pass_rate[v1]>=0.8" in out  # shown as written, not read as rich markup


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--gate", "pass_rate>0.9"], "use >= (at least) or <= (at most)"),
        (["--gate", "no_regression(pass_rate, margin=0.1)"], "needs a baseline"),
        (["--gate", "score:rouge_l>=0.4"], "no case has score:rouge_l"),
        (["--gate", "pass_rate[tag=geo]>=0.5"], "no case of run r"),
        (["--baseline", "nothing.json", "--gate", "pass_rate>=0.1"], "no such run folder"),
        ([], "no gates"),
    ],
)
def test_usage_problems_exit_4(run_dir: Path, args: list[str], fragment: str) -> None:
    code, out = _gate(str(run_dir), *args)
    assert code == 4, out
    assert fragment in out.replace("\n", " ")


def test_a_bug_is_exit_3_and_an_interruption_exit_2(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(harness.gates.evaluate, "evaluate_gates", broken)
    code, out = _gate(str(run_dir), "--gate", "pass_rate>=0.5")
    assert code == 3 and "internal error" in out

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(harness.gates.evaluate, "evaluate_gates", interrupted)
    code, out = _gate(str(run_dir), "--gate", "pass_rate>=0.5")
    assert code == 2 and "interrupted" in out
