"""A reused --run-id never appends to a folder with records; readers de-duplicate, saying so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import RunCli
from tests.cli.test_run_failures import MODELS, OK_ID, _adapter, _suite

Write = Callable[..., Path]


def _good_suite(write_suite: Write) -> Path:
    write_suite(MODELS, "models.yaml")
    return write_suite(_suite(_adapter("good", OK_ID), cases=3))


def test_reused_run_id_is_a_usage_error_and_the_folder_is_untouched(
    write_suite: Write, run_cli: RunCli, tmp_path: Path
) -> None:
    suite = _good_suite(write_suite)
    first = run_cli("run", str(suite), "--run-id", "dup", "-q", "--no-reports")
    assert first.returncode == 0, first.stderr
    run_dir = tmp_path / "reports" / "dup"
    results = (run_dir / "results.jsonl").read_bytes()
    manifest = (run_dir / "run.json").read_bytes()
    assert results.count(b"\n") == 3

    again = run_cli("run", str(suite), "--run-id", "dup", "-q", "--no-reports")
    assert again.returncode == 4, again.stderr
    assert "already holds records" in again.stderr
    assert "--resume dup" in again.stderr and "another --run-id" in again.stderr
    assert "Traceback" not in again.stderr
    assert (run_dir / "results.jsonl").read_bytes() == results
    assert (run_dir / "run.json").read_bytes() == manifest

    resumed = run_cli("run", str(suite), "--resume", "dup", "-q", "--no-reports")
    assert resumed.returncode == 0, resumed.stderr
    assert (run_dir / "results.jsonl").read_bytes() == results  # nothing was missing


def test_run_id_of_a_folder_without_records_is_allowed(
    write_suite: Write, run_cli: RunCli, tmp_path: Path
) -> None:
    suite = _good_suite(write_suite)
    (tmp_path / "reports" / "empty").mkdir(parents=True)
    proc = run_cli("run", str(suite), "--run-id", "empty", "-q", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "empty" / "results.jsonl").read_text().count("\n") == 3


def test_report_and_summary_count_each_key_once_and_warn(
    write_suite: Write, run_cli: RunCli, tmp_path: Path
) -> None:
    """A results file doubled by an older harness: latest record per key, with a warning."""
    suite = _good_suite(write_suite)
    proc = run_cli("run", str(suite), "--run-id", "d", "-q", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    run_dir = tmp_path / "reports" / "d"
    path = run_dir / "results.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + lines) + "\n")

    report = run_cli("report", str(run_dir), "--only", "markdown")
    assert report.returncode == 0, report.stderr
    assert "warning:" in report.stderr
    assert "3 record(s) superseded" in report.stderr and "3 (case_id, adapter, repeat)" in (
        report.stderr
    )
    first = json.loads(lines[0])
    assert f"({first['case_id']!r}, 'good', 0)" in report.stderr
    assert "latest record of each key is used" in report.stderr
    markdown = (run_dir / "report.md").read_text()
    assert "6 (3 superseded by a later record" in markdown

    resumed = run_cli("run", str(suite), "--resume", "d", "-q", "--no-reports")
    assert resumed.returncode == 0, resumed.stderr
    assert "3 record(s) superseded" in resumed.stderr
    table = [line for line in resumed.stdout.splitlines() if "│ good" in line]
    assert len(table) == 1 and table[0].split("│")[2].strip() == "3", resumed.stdout
