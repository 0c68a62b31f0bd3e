"""Running suite items: one run per suite, messages, gates, run folders, -x, --lf, xfail."""

from __future__ import annotations

import json

import pytest

from tests.pytest_plugin.conftest import records, run


def test_a_session_runs_each_suite_once_and_reports_like_assertions(
    project: pytest.Pytester,
) -> None:
    project.makeini(
        "[pytest]\nharness_suites =\n    suites/small.yaml\n    suites/broken.yaml\n"
        "harness_xfail = suites/small.yaml::other[bad]\n"
    )
    result = run(project, "-p", "no:cacheprovider", "-rx", "--harness-report", "out")
    # a failed gate fails the session; the passing one passes; other[bad] is a designed failure
    assert result.ret == 1
    result.assert_outcomes(passed=3, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(["XFAIL suites/small.yaml::other[[]bad[]] - harness_xfail: *"])
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*bad on case 'greet': 1 of 1 expectation(s) failed",
            "  prompt: Say something fine.",
            "  output: wrong answer",
            "  ✗ contains: expected output to contain 'fine'; got 'wrong answer'",
            "  latency * ms, TTFT * ms",
            "  record: *out/small/results.jsonl",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*gate 'pass_rate>=0.9' failed",
            "  pass: good: pass_rate = 1 over 2 cases meets >= 0.9",
            "  FAIL: bad: pass_rate = 0 over 2 cases misses >= 0.9",
        ]
    )
    # an adapter error: its type, status and message, and no traceback of harness internals
    result.stdout.fnmatch_lines(["*broken on case 'ping': the adapter failed (*, status 500)"])
    assert "Traceback" not in out and "harness/runner" not in out
    result.stdout.no_fnmatch_line("FAILED suites/small.yaml::gate?pass_rate?good?>=0.9?*")
    # one run folder per suite, as `harness run` writes it: every record once, reports beside
    small = project.path / "out" / "small"
    assert sorted((r["case_id"], r["adapter"]) for r in records(small)) == [
        ("greet", "bad"),
        ("greet", "good"),
        ("other", "bad"),
        ("other", "good"),
    ]
    manifest = json.loads((small / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["suite_name"] == "small"
    assert {"report.md", "report.html", "summary.json"} <= {p.name for p in small.iterdir()}
    assert [r["case_id"] for r in records(project.path / "out" / "broken")] == ["ping"]


def test_x_stops_at_the_first_failure_and_lf_reruns_it(project: pytest.Pytester) -> None:
    first = run(project, "-x", "--harness-report", "one", "--harness-no-reports")
    first.assert_outcomes(passed=1, failed=1)
    again = run(project, "--lf", "--harness-report", "two", "--harness-no-reports")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["FAILED suites/small.yaml::greet[[]bad[]] - *"])
    # only the selected pair was sent; no reports were asked for
    two = project.path / "two" / "small"
    assert [(r["case_id"], r["adapter"]) for r in records(two)] == [("greet", "bad")]
    assert not (two / "report.md").exists()
