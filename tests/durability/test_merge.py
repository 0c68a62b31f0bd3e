"""harness merge: shard runs of one suite joined into one run folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.errors import HarnessError
from harness.records import ErrorInfo
from harness.records.merge import merge_runs
from harness.records.store import (
    CASSETTE_FILE,
    MANIFEST_FILE,
    RESULTS_FILE,
    ResultsCorruptError,
    read_manifest,
    read_records,
)
from tests.durability.support import manifest, record, write_run


def _shards(tmp_path: Path) -> tuple[Path, Path]:
    boom = ErrorInfo(type="server_error", message="500", status=500)
    one = write_run(
        tmp_path / "shard-1",
        manifest(
            "run-1",
            case_count=2,
            started_at="2026-01-01T10:00:00+00:00",
            finished_at="2026-01-01T10:04:00+00:00",
        ),
        [
            record("a", run_id="run-1"),
            record("b", run_id="run-1", error=boom),
            record("a", repeat=1, run_id="run-1"),
        ],
    )
    two = write_run(
        tmp_path / "shard-2",
        manifest(
            "run-2",
            case_count=3,
            started_at="2026-01-01T09:58:00+00:00",
            finished_at="2026-01-01T10:09:00+00:00",
        ),
        [
            record("c", run_id="run-2"),
            record("b", run_id="run-2", output="retried"),  # later duplicate: wins
        ],
    )
    with (two / RESULTS_FILE).open("ab") as f:
        f.write(b'{"schema_version": 1, "run_')  # torn tail of a killed shard: skipped
    return one, two


def test_merge_joins_records_and_manifests(tmp_path: Path) -> None:
    one, two = _shards(tmp_path)
    before = (two / RESULTS_FILE).read_bytes()
    merged = merge_runs([one, two], tmp_path / "reports", "all")

    assert merged == tmp_path / "reports" / "all"
    records = list(read_records(merged))
    assert [(r.case_id, r.repeat, r.run_id) for r in records] == [
        ("a", 0, "run-1"),
        ("a", 1, "run-1"),
        ("c", 0, "run-2"),
        ("b", 0, "run-2"),
    ]
    assert records[-1].output == "retried" and records[-1].error is None

    m = read_manifest(merged)
    assert m.run_id == "all"
    assert m.suite_sha256 == "a" * 64
    assert m.case_count == 5
    assert m.started_at == "2026-01-01T09:58:00+00:00"
    assert m.finished_at == "2026-01-01T10:09:00+00:00"
    assert m.status == "completed"
    assert [a.name for a in m.adapters] == ["fast"]
    raw = json.loads((merged / MANIFEST_FILE).read_text())
    assert [(s["run_id"], s["records"], s["status"]) for s in raw["shards"]] == [
        ("run-1", 2, "completed"),
        ("run-2", 2, "completed"),
    ]
    assert raw["shards"][0]["path"] == str(one)
    assert (two / RESULTS_FILE).read_bytes() == before  # sources are only read


def test_status_is_completed_only_if_every_source_was(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1"), [record("a")])
    two = write_run(
        tmp_path / "2", manifest("r2", status="interrupted", finished_at=None), [record("b")]
    )
    m = read_manifest(merge_runs([one, two], tmp_path / "out", None))
    assert m.status == "interrupted"
    assert m.finished_at == "2026-01-01T10:05:00+00:00"
    assert "merged" in m.run_id


def _declare_shard(run_dir: Path, spec: str) -> None:
    path = run_dir / MANIFEST_FILE
    data = json.loads(path.read_text())
    data["shard"] = spec  # the field proposed for RunManifest
    path.write_text(json.dumps(data))


def test_declared_shards_are_checked_for_coverage(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1", case_count=2), [record("a")])
    two = write_run(tmp_path / "2", manifest("r2", case_count=3), [record("b")])
    again = write_run(tmp_path / "2b", manifest("r2b", case_count=3), [record("b")])
    _declare_shard(one, "1/3")
    _declare_shard(two, "2/3")
    _declare_shard(again, "2/3")
    merged = merge_runs([one, two, again], tmp_path / "out", "x")
    m = read_manifest(merged)
    assert m.status == "incomplete"  # shard 3/3 is missing
    assert m.case_count == 5  # shard 2/3 given twice counts once
    coverage = json.loads((merged / MANIFEST_FILE).read_text())["coverage"]
    assert coverage["shards_merged"] == ["1/3", "2/3"]
    assert coverage["shards_missing"] == ["3/3"]
    assert coverage["suite_case_count"] is None  # 2 and 3 cases: no balanced split fits
    assert coverage["complete"] is False

    three = write_run(tmp_path / "3", manifest("r3", case_count=1), [record("d")])
    _declare_shard(three, "3/4")
    with pytest.raises(HarnessError, match="different shard splits"):
        merge_runs([one, three], tmp_path / "out", "y")


def test_different_suites_are_refused(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1"), [record("a")])
    two = write_run(tmp_path / "2", manifest("r2", sha="b" * 64), [record("b")])
    with pytest.raises(HarnessError, match="different suites") as info:
        merge_runs([one, two], tmp_path / "out", "x")
    assert "aaaaaaaaaaaa" in str(info.value) and "bbbbbbbbbbbb" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_other_refusals(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1"), [record("a")])
    other_model = write_run(tmp_path / "2", manifest("r2", model="m2"), [record("b")])
    with pytest.raises(HarnessError, match="adapter 'fast' differs"):
        merge_runs([one, other_model], tmp_path / "out", "x")
    with pytest.raises(HarnessError, match="more than once"):
        merge_runs([one, tmp_path / "1"], tmp_path / "out", "x")
    with pytest.raises(HarnessError, match="no run.json"):
        merge_runs([tmp_path], tmp_path / "out", "x")
    with pytest.raises(HarnessError, match="at least one"):
        merge_runs([], tmp_path / "out", "x")
    with pytest.raises(HarnessError, match="cannot overwrite its source"):
        merge_runs([one], tmp_path, "1")
    (tmp_path / "out" / "taken").mkdir(parents=True)
    (tmp_path / "out" / "taken" / "x").write_text("")
    with pytest.raises(HarnessError, match="not empty"):
        merge_runs([one], tmp_path / "out", "taken")


def test_damaged_source_is_reported(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1"), [record("a"), record("b")])
    path = one / RESULTS_FILE
    lines = path.read_text().splitlines()
    path.write_text(lines[0][:30] + "\n" + lines[1] + "\n")
    with pytest.raises(ResultsCorruptError, match=r"results.jsonl:1:"):
        merge_runs([one], tmp_path / "out", "x")


def test_cassettes_are_concatenated(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1"), [record("a")])
    two = write_run(tmp_path / "2", manifest("r2"), [record("b")])
    (one / CASSETTE_FILE).write_text('{"adapter": "fast", "prompt": "p1"}\n')
    (two / CASSETTE_FILE).write_text('{"adapter": "fast", "prompt": "p2"}\n{"adap')
    merged = merge_runs([one, two], tmp_path / "out", "x")
    lines = (merged / CASSETTE_FILE).read_text().splitlines()
    assert [json.loads(line)["prompt"] for line in lines] == ["p1", "p2"]


def test_merge_command_with_click_runner(tmp_path: Path) -> None:
    from harness.cli import cli

    one, two = _shards(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["merge", str(one), str(two), "-o", str(tmp_path / "r"), "--run-id", "m", "--no-reports"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "r" / "m")
    bad = write_run(tmp_path / "3", manifest("r3", sha="c" * 64), [record("z")])
    result = CliRunner().invoke(cli, ["merge", str(one), str(bad), "-o", str(tmp_path)])
    assert result.exit_code == 4
    assert "different suites" in result.output
    assert "Traceback" not in result.output


def test_merge_command_in_a_subprocess(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "harness"]
    one, two = _shards(tmp_path)
    proc = subprocess.run(
        [*command, "merge", str(one), str(two), "-o", "reports"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    merged = tmp_path / proc.stdout.strip()
    assert merged.parent == tmp_path / "reports"
    assert len(list(read_records(merged))) == 4
    proc = subprocess.run(
        [*command, "merge", str(tmp_path / "nope")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 4


def test_merge_says_how_many_records_a_later_one_superseded(tmp_path: Path) -> None:
    from harness.records.merge import describe_coverage

    one, two = _shards(tmp_path)  # case 'b' failed in run-1 and was re-run in run-2
    merged = merge_runs([one, two], tmp_path / "reports", "all")
    coverage = json.loads((merged / MANIFEST_FILE).read_text())["coverage"]
    assert coverage["superseded_records"] == 1
    assert coverage["superseded_example"] == ["b", "fast", 0]
    said = " ".join(describe_coverage(coverage))
    assert "1 record(s) superseded" in said and "('b', 'fast', 0)" in said
