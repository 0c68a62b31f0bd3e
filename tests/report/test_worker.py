"""The report worker: a second process writes the same reports, or steps aside cleanly."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.report import write_reports
from harness.report.worker import ENV_SWITCH, ReportWorker


@pytest.fixture(autouse=True)
def _worker_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """On here (the suite's conftest switches it off for everyone else)."""
    monkeypatch.setenv(ENV_SWITCH, "1")


def test_worker_writes_the_same_reports_as_the_process_itself(
    comparison_run: Path, tmp_path: Path
) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(comparison_run, twin)
    worker = ReportWorker()
    try:
        assert worker.submit(comparison_run)
        written = worker.result()
    finally:
        worker.close()
    assert written is not None
    here = write_reports(twin)
    assert [p.name for p in written] == [p.name for p in here]
    for theirs, ours in zip(written, here, strict=True):
        assert theirs.parent == comparison_run
        assert theirs.read_bytes() == ours.read_bytes(), theirs.name


def test_a_user_error_in_the_worker_is_the_same_error(comparison_run: Path) -> None:
    worker = ReportWorker()
    try:
        with pytest.raises(HarnessError, match=r"unknown reporter 'markdwn'"):
            assert worker.submit(comparison_run, ["markdwn"])
            worker.result()
    finally:
        worker.close()


def test_a_crashed_worker_hands_the_work_back(comparison_run: Path) -> None:
    worker = ReportWorker()
    try:
        assert worker.submit(comparison_run, [7])  # type: ignore[list-item]
        assert worker.result() is None
    finally:
        worker.close()


def test_a_worker_that_gets_no_request_exits_quietly() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness.report.worker"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert proc.stdout == ""


def test_close_stops_a_waitingReportWorker() -> None:
    worker = ReportWorker()
    worker.close()
    assert not worker.running


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SWITCH, "0")
    assert ReportWorker.start_if_useful() is None


def test_scipy_is_preloaded_only_while_no_request_has_come() -> None:
    """A short one-adapter run must not wait for an import its reports may not use."""
    code = (
        "import sys\nfrom harness.report.worker import preload\n"
        "preload(lambda: sys.argv[1] == 'asked')\nprint('scipy.stats' in sys.modules)\n"
    )
    said = {
        arg: subprocess.run(
            [sys.executable, "-c", code, arg], capture_output=True, text=True, timeout=120
        ).stdout.strip()
        for arg in ("asked", "waiting")
    }
    assert said == {"asked": "False", "waiting": "True"}
