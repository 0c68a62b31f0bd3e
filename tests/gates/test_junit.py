"""``--junit``: the file parses with junitparser and says per case and per gate what happened."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.records import ErrorInfo
from tests.analysis.test_compare_frame_sources import make_record, write_run

junitparser = pytest.importorskip("junitparser")


def _run(tmp_path: Path) -> Path:
    rows = [make_record("r", "v1", f"c{i}", True, latency_ms=250.0) for i in range(3)]
    rows.append(make_record("r", "v1", "bad", False, output="Lyon \x07is the capital"))
    rows.append(make_record("r", "v1", "down", False, error=ErrorInfo(type="Timeout", message="t")))
    judge = ErrorInfo(type="J", message="judge down", origin="judge")
    rows.append(make_record("r", "v1", "ungraded", False, error=judge))
    return write_run(tmp_path, "r", rows)


def test_cases_and_gates_as_junit(tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    result = CliRunner().invoke(
        cli,
        [
            "gate",
            str(_run(tmp_path)),
            "--junit",
            str(out),
            "--gate",
            "pass_rate>=0.5",
            "--gate",
            "pass_rate>=0.9",
            "--gate",
            "score:rouge_l>=0.1",
        ],
    )
    assert result.exit_code == 4, result.output  # the rouge_l gate cannot be evaluated
    xml = junitparser.JUnitXml.fromfile(str(out))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"s [v1]", "gates"}
    cases = {case.name: case for case in suites["s [v1]"]}
    assert set(cases) == {"c0", "c1", "c2", "bad", "down", "ungraded"}
    assert cases["c0"].is_passed and cases["c0"].time == pytest.approx(0.25)
    (failure,) = cases["bad"].result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "passed 0 of 1 repeat(s); contains: no x"
    assert cases["bad"].system_out == "Lyon is the capital"  # the control character dropped
    (error,) = cases["down"].result
    assert isinstance(error, junitparser.Error) and "Timeout: t" in error.message
    assert isinstance(cases["ungraded"].result[0], junitparser.Skipped)
    gates = {case.name: case for case in suites["gates"]}
    assert gates["pass_rate>=0.5 [v1]"].is_passed
    (gate_failure,) = gates["pass_rate>=0.9 [v1]"].result
    assert isinstance(gate_failure, junitparser.Failure) and "misses >= 0.9" in gate_failure.message
    problems = [
        c for c in suites["gates"] if isinstance(c.result[0:1] and c.result[0], junitparser.Error)
    ]
    assert len(problems) == 1 and "no case has score:rouge_l" in problems[0].result[0].message
    assert (suites["s [v1]"].tests, suites["s [v1]"].failures, suites["s [v1]"].errors) == (6, 1, 1)
    assert (suites["gates"].tests, suites["gates"].failures, suites["gates"].errors) == (3, 1, 1)
