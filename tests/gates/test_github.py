"""GitHub Actions: the step summary gets the gate table; failed gates become ::error lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.analysis.test_compare_frame_sources import make_record, write_run


def _invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *gates: str) -> tuple[int, str, str]:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    base = write_run(tmp_path, "b", [make_record("b", "v1", f"c{i}", True) for i in range(20)])
    rows = [make_record("c", "v1", f"c{i}", i % 2 == 0) for i in range(21)]  # c20: added
    cand = write_run(tmp_path, "c", rows)
    args = ["gate", str(cand), "--baseline", str(base)]
    for gate in gates:
        args += ["--gate", gate]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output, summary.read_text()


def test_failed_gates_annotate_and_the_summary_has_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, summary = _invoke(
        tmp_path, monkeypatch, "pass_rate>=0.4", "no_regression(pass_rate, margin=0.05)"
    )
    assert code == 1
    assert summary.startswith("earlier step\n### Gates: s (run c")  # appended, not replaced
    assert "**1 of 2 gate check(s) failed** (exit 1)" in summary
    assert "| `pass_rate>=0.4` | v1 | 0.5238 | >= 0.4 | - | - | ✅ pass |" in summary
    assert "| `no_regression(pass_rate, margin=0.05)` | v1 -> v1 | -0.5 |" in summary
    errors = [line for line in out.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "::error title=gate failed%3A no_regression(pass_rate%2C margin=0.05) [v1 -> v1]::"
    )
    warnings = [line for line in out.splitlines() if line.startswith("::warning ")]
    assert len(warnings) == 1 and "1 case(s) added (c20)" in warnings[0]


def test_passing_gates_write_no_error_annotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, summary = _invoke(tmp_path, monkeypatch, "pass_rate>=0.4")
    assert code == 0 and "::error" not in out
    assert "all 1 gate check(s) passed" in summary
