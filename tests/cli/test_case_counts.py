"""One definition of a case: the console summary and the report count the same cases.

A case is a distinct case id; the records that count are the latest per (case_id, adapter,
repeat), as ``harness merge`` keeps them. Checked through the real CLI, with ``--repeat 3``
and with a resumed run over a results file that holds superseded records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import RunCli

OK_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base, default: "nope"}}
  - {{id: {OK_ID}, name: good, base_model: base, default: "fine"}}
"""
CASES = 4
SUITE = (
    "name: counts\nemulator: {config: models.yaml}\nconcurrency: 4\nadapters:\n"
    f"  good: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {OK_ID}}}\n"
    "  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
    "cases:\n"
    + "".join(f"  - {{id: c{i}, prompt: p{i}, expect: [contains: fine]}}\n" for i in range(CASES))
)


def _console_rows(stdout: str) -> dict[str, list[str]]:
    """The summary table's rows by adapter, and its header row under the key 'adapter'."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if cells and cells[0] in ("adapter", "good", "base"):
            rows[cells[0]] = cells
    return rows


def _report_rows(markdown: str) -> dict[str, list[str]]:
    """The report's summary table (the one headed 'Adapter | Cases'), by adapter."""
    rows: dict[str, list[str]] = {}
    header: list[str] | None = None
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:2] == ["Adapter", "Cases"]:
            header = cells
            rows["Adapter"] = cells
        elif header is not None and line.startswith("|") and cells[0] in ("good", "base"):
            rows.setdefault(cells[0], cells)
        elif header is not None and not line.startswith("|"):
            header = None if rows.keys() - {"Adapter"} else header
    return rows


def _check_counts(run_cli: RunCli, tmp_path: Path, stdout: str, requests: int) -> None:
    console = _console_rows(stdout)
    assert console["adapter"][:4] == ["adapter", "cases", "requests", "passed"], stdout
    assert console["good"][1:5] == [str(CASES), str(requests), str(requests), "100%"], stdout
    assert console["base"][1:5] == [str(CASES), str(requests), "0", "0%"], stdout

    report = run_cli("report", str(tmp_path / "reports" / "r"), "--only", "markdown")
    assert report.returncode == 0, report.stderr
    table = _report_rows((tmp_path / "reports" / "r" / "report.md").read_text())
    assert table["Adapter"][1:4] == ["Cases", "Requests", "Passed"], table
    for name in ("good", "base"):
        assert table[name][1:3] == console[name][1:3], (table, console)


def test_repeat_3_counts_cases_once(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "models.yaml").write_text(MODELS)
    (tmp_path / "suite.yaml").write_text(SUITE)
    proc = run_cli("run", "suite.yaml", "--repeat", "3", "--run-id", "r", "-q", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "reports" / "r" / "results.jsonl").read_text().splitlines()
    assert len(lines) == CASES * 3 * 2
    _check_counts(run_cli, tmp_path, proc.stdout, requests=CASES * 3)
    assert "requests, passed and errors count requests" in proc.stdout


def test_a_resumed_run_over_superseded_records_counts_each_case_once(
    run_cli: RunCli, tmp_path: Path
) -> None:
    (tmp_path / "models.yaml").write_text(MODELS)
    (tmp_path / "suite.yaml").write_text(SUITE)
    proc = run_cli("run", "suite.yaml", "--repeat", "3", "--run-id", "r", "-q", "--no-reports")
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "reports" / "r" / "results.jsonl"
    lines = path.read_text().splitlines()
    # What an older harness appending to a reused folder left: earlier copies of six keys,
    # with the other verdict, superseded by the records after them; and the run cut short
    # before its last four requests, which the resume sends.
    older = []
    for line in lines[:6]:
        record = json.loads(line)
        record["passed"] = not record["passed"]
        older.append(json.dumps(record))
    path.write_text("\n".join(older + lines[:-4]) + "\n")

    resumed = run_cli("run", "suite.yaml", "--repeat", "3", "--resume", "r", "-q", "--no-reports")
    assert resumed.returncode == 0, resumed.stderr
    assert len(path.read_text().splitlines()) == 6 + len(lines)  # 4 sent again, none twice
    assert "6 record(s) superseded" in resumed.stderr
    _check_counts(run_cli, tmp_path, resumed.stdout, requests=CASES * 3)
