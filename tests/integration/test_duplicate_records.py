"""A results file with a key twice: the console totals and the reports count the latest record.

The run is real (the embedded emulator over loopback); the duplicates are what an older
harness left when a --run-id was reused, with the later copy's verdict changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.analysis.summarize import summarize_run
from harness.analysis.totals import run_totals
from harness.records.store import find_duplicates
from harness.runner.run import RunFolderInUse
from tests.integration.test_durability_run import _suite

Write = Callable[..., Path]


def test_totals_agree_with_summarize_on_duplicated_keys(write_suite: Write, tmp_path: Path) -> None:
    suite = load_suite(_suite(write_suite, cases=4))
    outcome = run_suite(suite, RunOptions(output_dir=tmp_path / "reports", run_id="d"))
    path = outcome.run_dir / "results.jsonl"
    lines = path.read_text().splitlines()
    assert len(lines) == 8
    later = []
    for line in lines[:3]:  # three keys again, later, with the other verdict
        record = json.loads(line)
        record["passed"] = not record["passed"]
        later.append(json.dumps(record))
    path.write_text("\n".join(lines + later) + "\n")

    duplicates = find_duplicates(outcome.run_dir)
    assert (duplicates.superseded, duplicates.keys) == (3, 3)
    first = json.loads(lines[0])
    assert duplicates.example == (first["case_id"], first["adapter"], first["repeat"])

    totals = run_totals(outcome.run_dir)
    summary = summarize_run(outcome.run_dir)
    assert totals.duplicates == duplicates
    assert summary.superseded_records == 3
    for adapter in summary.adapters:
        counted = next(t for t in totals.adapters if t.name == adapter.name)
        assert (counted.cases, counted.records, counted.passed, counted.errored) == (
            adapter.cases,
            adapter.requests,
            adapter.passed,
            adapter.errored,
        )
        assert counted.pass_rate == adapter.pass_rate
        assert counted.records == 4
    assert sum(t.passed for t in totals.adapters) == 8 - 3  # each flipped copy is the latest


def test_run_suite_refuses_a_folder_with_records(write_suite: Write, tmp_path: Path) -> None:
    suite = load_suite(_suite(write_suite, cases=2))
    options = RunOptions(output_dir=tmp_path / "reports", run_id="same")
    first = run_suite(suite, options)
    before = (first.run_dir / "results.jsonl").read_bytes()
    with pytest.raises(RunFolderInUse, match="--resume same"):
        run_suite(suite, options)
    assert (first.run_dir / "results.jsonl").read_bytes() == before
