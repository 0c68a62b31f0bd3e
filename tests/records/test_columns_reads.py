"""Every report of a run, and each side of a comparison, reads results.jsonl once.

The CLI runs in this process (click's runner) with ``open`` wrapped to count the opens of
any ``results.jsonl``: a reporter that read the records again (the drill-down, summary.json's
extras, the duplicate-key warning) would open it a second time.
"""

from __future__ import annotations

import builtins
import gc
import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.records.store import RESULTS_FILE

Opened = list[str]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[Opened]:
    """The paths of the results.jsonl files opened while the test runs (one entry per open)."""
    seen: Opened = []
    real: Callable[..., Any] = io.open

    def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path) and Path(file).name == RESULTS_FILE:
            seen.append(str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting)  # pathlib's Path.open calls io.open
    monkeypatch.setattr(builtins, "open", counting)
    yield seen


def _run(tmp_path: Path, real_runs: list[Path], index: int) -> Path:
    """A copy of a real run, with one record written twice (a resumed request)."""
    run = tmp_path / real_runs[index].name
    shutil.copytree(real_runs[index], run)
    path = run / RESULTS_FILE
    first = path.read_text(encoding="utf-8").splitlines()[0]
    again = json.loads(first)
    again["passed"] = not again["passed"]
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(again) + "\n")
    return run


@pytest.mark.parametrize("only", [[], ["html"], ["summary"], ["markdown"], ["charts"]])
def test_harness_report_reads_the_records_once(
    real_runs: list[Path], tmp_path: Path, opened: Opened, only: list[str]
) -> None:
    run = _run(tmp_path, real_runs, 0)
    opened.clear()
    args = ["report", str(run)] + [a for name in only for a in ("--only", name)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 record(s) superseded" in result.output  # the warning, from the same read
    assert opened == [str(run / RESULTS_FILE)]
    wanted = {"html": "report.html", "summary": "summary.json", "markdown": "report.md"}
    for name in only or wanted:
        if name in wanted:
            assert (run / wanted[name]).is_file()


def test_harness_compare_reads_each_side_once(
    real_runs: list[Path], tmp_path: Path, opened: Opened
) -> None:
    base = _run(tmp_path, real_runs, 0)
    candidate = tmp_path / "other"
    shutil.copytree(real_runs[0], candidate)
    opened.clear()
    out = tmp_path / "cmp"
    pair = ["--pair", "support-bot-v1:support-bot-v2"]
    result = CliRunner().invoke(
        cli, ["compare", str(base), str(candidate), *pair, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(opened) == sorted([str(base / RESULTS_FILE), str(candidate / RESULTS_FILE)])
    assert (out / "compare.html").is_file()
    opened.clear()
    result = CliRunner().invoke(cli, ["compare", str(base), *pair, "--out", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    assert opened == [str(base / RESULTS_FILE)]
    # the command's freeze of its records is given back: an in-process caller keeps its collector
    assert gc.get_freeze_count() == 0
