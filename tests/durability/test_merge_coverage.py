"""harness merge of some shards: the suite's full case count and what is missing, and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from harness.records.merge import describe_coverage, merge_runs
from harness.records.store import MANIFEST_FILE, read_manifest
from harness.shards import select_shard
from tests.durability.support import case, manifest, record, write_run

IDS = [f"case-{i}" for i in range(40)]


def _shard_run(tmp_path: Path, index: int, count: int = 3) -> Path:
    cases = select_shard([case(i) for i in IDS], index, count)
    run_dir = write_run(
        tmp_path / f"shard-{index}",
        manifest(f"run-{index}", case_count=len(cases)),
        [record(c.id, run_id=f"run-{index}") for c in cases],
    )
    data = json.loads((run_dir / MANIFEST_FILE).read_text())
    data["shard"] = f"{index}/{count}"
    (run_dir / MANIFEST_FILE).write_text(json.dumps(data))
    return run_dir


def _coverage(run_dir: Path) -> dict[str, object]:
    coverage = json.loads((run_dir / MANIFEST_FILE).read_text())["coverage"]
    assert isinstance(coverage, dict)
    return coverage


def test_missing_shard_named_with_its_cases_when_the_suite_is_known(tmp_path: Path) -> None:
    sources = [_shard_run(tmp_path, 1), _shard_run(tmp_path, 2)]
    merged = merge_runs(
        sources, tmp_path / "out", "m", suite_case_ids=IDS, suite_note="suite file s.yaml"
    )
    coverage = _coverage(merged)
    third = [c.id for c in select_shard([case(i) for i in IDS], 3, 3)]
    assert coverage["suite_case_count"] == 40
    assert coverage["cases_with_records"] == 27
    assert coverage["shards_merged"] == ["1/3", "2/3"]
    assert coverage["shards_missing"] == ["3/3"]
    assert coverage["missing_shard_cases"] == {"3/3": 13}
    assert coverage["cases_missing"] == 13
    assert coverage["missing_case_ids"] == sorted(third, key=IDS.index)
    assert coverage["complete"] is False
    assert read_manifest(merged).status == "incomplete"
    text = "\n".join(describe_coverage(coverage))
    assert "merged 2 of 3 shards (1/3, 2/3): 27 of the suite's 40 cases have records" in text
    assert "missing: shard 3/3 (13 cases)" in text
    assert "13 cases of the suite have no record: " in text
    assert "run --shard 3/3 and merge again" in text


def test_without_the_suite_the_count_is_estimated_from_balanced_shard_sizes(
    tmp_path: Path,
) -> None:
    one, two, three = (_shard_run(tmp_path, i) for i in (1, 2, 3))
    coverage = _coverage(merge_runs([one, two], tmp_path / "o", "m"))
    assert coverage["suite_case_count"] == 40  # 14 + 13 of a balanced split: only 40 fits
    assert coverage["suite_case_count_from"] == "shard sizes (estimate)"
    assert coverage["missing_shard_cases"] == {"3/3": 13}
    assert coverage["missing_case_ids"] is None
    text = "\n".join(describe_coverage(coverage))
    assert "27 of the suite's 40 cases have records (estimated from the shard sizes)" in text
    assert "missing: shard 3/3 (13 cases)" in text

    coverage = _coverage(merge_runs([one, three], tmp_path / "o", "n"))
    assert coverage["suite_case_count"] == [40, 41]  # 14/13/13 or 14/14/13
    assert coverage["missing_shard_cases"] == {"2/3": [13, 14]}
    text = "\n".join(describe_coverage(coverage))
    assert "27 of the suite's 40 to 41 cases have records (estimated" in text
    assert "missing: shard 2/3 (13 to 14 cases)" in text


def test_all_shards_make_a_complete_run(tmp_path: Path) -> None:
    sources = [_shard_run(tmp_path, i) for i in (1, 2, 3)]
    merged = merge_runs(sources, tmp_path / "out", "m")
    coverage = _coverage(merged)
    assert coverage["complete"] is True
    assert coverage["suite_case_count"] == 40 and coverage["shards_missing"] == []
    assert read_manifest(merged).status == "completed"
    assert describe_coverage(coverage) == [
        "merged 3 of 3 shards (1/3, 2/3, 3/3): 40 of the suite's 40 cases have records"
    ]


def test_unsharded_run_missing_cases_of_the_suite(tmp_path: Path) -> None:
    one = write_run(tmp_path / "1", manifest("r1", case_count=2), [record("a"), record("b")])
    merged = merge_runs([one], tmp_path / "out", "m", suite_case_ids=["a", "b", "c"])
    coverage = _coverage(merged)
    assert coverage["missing_case_ids"] == ["c"] and coverage["complete"] is False
    assert read_manifest(merged).status == "incomplete"
    unknown = merge_runs([one], tmp_path / "out", "n", suite_note="suite file x.yaml not found")
    assert _coverage(unknown)["complete"] is None
    assert read_manifest(unknown).status == "completed"
    assert describe_coverage(_coverage(unknown)) == [
        "merged: 2 cases with records; the suite's case count is unknown "
        "(suite file x.yaml not found)"
    ]


def test_merge_command_writes_reports_unless_told_not_to(tmp_path: Path) -> None:
    from harness.cli import cli

    sources = [str(_shard_run(tmp_path, 1)), str(_shard_run(tmp_path, 2))]
    out = str(tmp_path / "r")
    result = CliRunner().invoke(cli, ["merge", *sources, "-o", out, "--run-id", "m"])
    assert result.exit_code == 0, result.output
    merged = tmp_path / "r" / "m"
    assert result.stdout.strip() == str(merged)
    for name in ("report.md", "report.html", "pass_rate.png", "latency.png"):
        assert (merged / name).is_file(), name
        assert f"wrote {merged / name}" in result.stderr
    assert "missing: shard 3/3 (13 cases)" in result.stderr
    assert "suite file suites/demo.yaml not found; give it with --suite" in result.stderr

    result = CliRunner().invoke(
        cli, ["merge", *sources, "-o", out, "--run-id", "n", "--no-reports"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "r" / "n").iterdir()) == [
        "results.jsonl",
        "run.json",
    ]


ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_two_of_three_real_shards_merged(write_suite: Callable[..., Path], tmp_path: Path) -> None:
    body = "".join(
        f"  - {{id: c{i:03d}, prompt: 'p{i}', expect: [contains: p{i}]}}\n" for i in range(40)
    )
    write_suite(
        "name: cover\nconcurrency: 8\nadapters:\n"
        "  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
        "emulator: {models: [{name: base, slug: base, default: 'base says {{ prompt }}'}]}\n"
        "cases:\n" + body
    )
    for i in (1, 3):
        proc = _cli(
            tmp_path,
            "run",
            "suite.yaml",
            "--shard",
            f"{i}/3",
            "--run-id",
            f"s{i}",
            "-q",
            "--no-reports",
        )
        assert proc.returncode == 0, proc.stderr
    proc = _cli(tmp_path, "merge", "reports/s1", "reports/s3", "--run-id", "m", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    assert "merged 2 of 3 shards (1/3, 3/3): 27 of the suite's 40 cases have records" in (
        proc.stderr
    )
    assert "missing: shard 2/3 (13 cases)" in proc.stderr
    assert "run --shard 2/3 and merge again" in proc.stderr
    coverage = _coverage(tmp_path / "reports" / "m")
    assert coverage["suite_case_count_from"] == "suite file"
    assert coverage["suite"] == "suite file suite.yaml"
    assert len(coverage["missing_case_ids"]) == 13  # type: ignore[arg-type]
