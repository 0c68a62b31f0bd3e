"""``harness history``: the real CLI on three emulator runs, and on hand-written run folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.analysis.history import build_history, find_runs
from harness.records import AdapterInfo, CaseRecord, ErrorInfo, RunManifest
from harness.records.store import RecordWriter, write_manifest
from harness.report import write_reports
from harness.report.charts import adapter_colour

REPO = Path(__file__).resolve().parents[2]
QUICKSTART_ADAPTERS = ["support-bot-v1", "support-bot-v2", "support-bot-v2-stream", "base-llama3"]


def _harness(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """quickstart run three times by the CLI; the third after its description changed.

    Run ids sort against time order (c, b, a), so only the start times can order them.
    """
    root = tmp_path_factory.mktemp("history")
    suites = root / "suites"
    shutil.copytree(REPO / "suites" / "emulator", suites / "emulator")
    suite = suites / "quickstart.yaml"
    shutil.copy(REPO / "suites" / "quickstart.yaml", suite)
    for run_id in ("c-first", "b-second", "a-third"):
        if run_id == "a-third":
            text = suite.read_text(encoding="utf-8")
            suite.write_text(text.replace("description: ", "description: (edited) "), "utf-8")
        proc = _harness(root, "run", str(suite), "--output-dir", "reports", "--run-id", run_id)
        assert proc.returncode == 0, proc.stderr
    return root


def test_history_of_three_emulator_runs(three_runs: Path) -> None:
    proc = _harness(three_runs, "history", "reports")
    assert proc.returncode == 0, proc.stderr
    out = three_runs / "reports" / "history-quickstart"
    for name in ("trend.png", "trend.svg", "history.md", "history.json"):
        assert str(Path("reports") / "history-quickstart" / name) in proc.stdout
    doc = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert (doc["schema_version"], doc["kind"]) == (1, "harness.history")
    assert [r["run_id"] for r in doc["runs"]] == ["c-first", "b-second", "a-third"]
    assert [r["suite_changed"] for r in doc["runs"]] == [False, False, True]
    assert {r["source"] for r in doc["runs"]} == {"summary.json"}  # harness run wrote it
    assert doc["adapters"] == QUICKSTART_ADAPTERS
    for run in doc["runs"]:
        summary = json.loads(
            (three_runs / "reports" / run["run_id"] / "summary.json").read_text(encoding="utf-8")
        )
        for point, figures in zip(run["adapters"], summary["adapters"], strict=True):
            assert point["pass_rate"] == figures["pass_rate"]["value"]
            assert point["latency_p95_ms"] == figures["latency_ms"]["p95"]
            assert point["tokens_per_s_p50"] == figures["tokens_per_s"]["p50"]
    assert (out / "trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (out / "trend.svg").read_text(encoding="utf-8")
    for label in ("Pass rate (%)", "Latency p95 (ms)", "TTFT p50 (ms)", "Run (start time, UTC"):
        assert label in svg
    for index in range(len(QUICKSTART_ADAPTERS)):  # the reports' palette, in adapter order
        assert adapter_colour(index).lower() in svg.lower()
    md = (out / "history.md").read_text(encoding="utf-8").splitlines()
    changed = [line for line in md if "⚠ changed" in line and line.startswith("| ")]
    assert len(changed) == 4 and all(line.startswith("| a-third |") for line in changed)
    assert "![Figures across runs](trend.png)" in md
    console = proc.stdout
    assert console.index("c-first") < console.index("b-second") < console.index("a-third")
    assert "⚠ changed" in console


# -- hand-written run folders ----------------------------------------------------------------


def _run(
    root: Path,
    run_id: str,
    suite: str,
    started_at: str,
    *,
    passed: tuple[bool, ...] = (True, True, False),
    sha: str = "a" * 64,
    errored: int = 0,
) -> Path:
    run_dir = root / run_id
    manifest = RunManifest(
        run_id=run_id,
        suite_name=suite,
        suite_path=f"{suite}.yaml",
        suite_sha256=sha,
        harness_version="0",
        adapters=[AdapterInfo(name="bot", type="scripted", model="m")],
        case_count=len(passed),
        started_at=started_at,
        status="completed",
    )
    write_manifest(run_dir, manifest)
    with RecordWriter(run_dir) as writer:
        for i, ok in enumerate(passed):
            error = ErrorInfo(type="Timeout", message="late") if i < errored else None
            writer.write(
                CaseRecord(
                    run_id=run_id,
                    case_id=f"c{i}",
                    adapter="bot",
                    prompt="p",
                    output=None if error else "o",
                    passed=ok and error is None,
                    latency_ms=100.0 * (i + 1),
                    ttft_ms=10.0 * (i + 1),
                    error=error,
                    started_at=started_at,
                )
            )
    return run_dir


def _doc(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "history.json").read_text(encoding="utf-8"))
    return data


def test_one_run(tmp_path: Path) -> None:
    _run(tmp_path / "reports", "only", "solo", "2026-01-01T00:00:00Z")
    out = tmp_path / "chosen"
    proc = _harness(tmp_path, "history", "reports", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = _doc(out)
    assert [r["run_id"] for r in doc["runs"]] == ["only"] and not doc["runs"][0]["suite_changed"]
    (point,) = doc["runs"][0]["adapters"]
    assert point["pass_rate"] == pytest.approx(2 / 3) and point["latency_p50_ms"] == 200.0
    assert doc["runs"][0]["source"] == "records" and point["tokens_per_s_p50"] is None
    assert (out / "trend.png").is_file() and "# History of solo: 1 run" in (
        out / "history.md"
    ).read_text(encoding="utf-8")


def test_mixed_suites_offsets_and_a_folder_without_run_json(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    # 12:00+02:00 is 10:00 UTC: before the 11:00Z run, though it reads later
    _run(reports, "late-looking", "alpha", "2026-01-01T12:00:00+02:00", passed=(True, True))
    _run(reports, "early-looking", "alpha", "2026-01-01T11:00:00Z", sha="b" * 64, errored=1)
    _run(reports / "nested", "beta-1", "beta", "2026-01-02T00:00:00Z")
    stray = reports / "stray"
    stray.mkdir()
    (stray / "results.jsonl").write_text("", encoding="utf-8")
    proc = _harness(tmp_path, "history", "reports")
    assert proc.returncode == 0, proc.stderr
    assert "note: skipped reports/stray: no run.json" in proc.stderr
    alpha, beta = _doc(reports / "history-alpha"), _doc(reports / "history-beta")
    assert [r["run_id"] for r in alpha["runs"]] == ["late-looking", "early-looking"]
    assert [r["suite_changed"] for r in alpha["runs"]] == [False, True]
    assert alpha["runs"][1]["adapters"][0]["errored"] == 1
    assert alpha["runs"][1]["adapters"][0]["error_rate"] == pytest.approx(1 / 3)
    assert [r["run_id"] for r in beta["runs"]] == ["beta-1"]
    assert alpha["skipped"] == [{"path": "reports/stray", "reason": "no run.json"}]
    assert "Skipped folders:" in (reports / "history-alpha" / "history.md").read_text("utf-8")

    only = _harness(tmp_path, "history", "reports", "--suite", "beta", "--out", "b")
    assert only.returncode == 0, only.stderr
    assert (tmp_path / "b" / "history.json").is_file() and not (tmp_path / "b" / "alpha").exists()
    unknown = _harness(tmp_path, "history", "reports", "--suite", "gamma")
    assert unknown.returncode == 4
    assert "no runs of suite 'gamma'" in unknown.stderr and "alpha, beta" in unknown.stderr


def test_no_runs_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    proc = _harness(tmp_path, "history", "reports")
    assert proc.returncode == 4 and "no run folders" in proc.stderr


def test_records_and_summary_json_give_the_same_figures(tmp_path: Path) -> None:
    """A run read from its records agrees with the same run read from its summary.json."""
    reports = tmp_path / "reports"
    run_dir = _run(reports, "r", "s", "2026-01-01T00:00:00Z", passed=(True, False, True), errored=1)
    found = find_runs(reports)
    from_records = build_history("s", found.suites["s"], []).runs[0]
    write_reports(run_dir, ["summary"])
    from_summary = build_history("s", found.suites["s"], []).runs[0]
    assert (from_records.source, from_summary.source) == ("records", "summary.json")
    a, b = from_records.adapters[0], from_summary.adapters[0]
    assert a.model_dump(exclude={"tokens_per_s_p50"}) == b.model_dump(exclude={"tokens_per_s_p50"})
