"""Gate evaluation on run folders written by the real writer: values, verdicts, problems."""

from __future__ import annotations

from pathlib import Path

from harness.gates.evaluate import evaluate_gates
from harness.gates.inputs import load_gate_input
from harness.gatespec import Gate, parse_gate
from harness.records import CaseRecord, ErrorInfo
from tests.analysis.test_compare_frame_sources import make_record, write_run


def _run(tmp_path: Path, run_id: str, rows: list[CaseRecord]) -> Path:
    return write_run(tmp_path, run_id, rows)


def _records(run_id: str, adapter: str, passes: list[list[bool]], **kw: float) -> list[CaseRecord]:
    """One record per repeat; case i is tagged 'even' or 'odd'."""
    out = []
    for i, repeats in enumerate(passes):
        for r, passed in enumerate(repeats):
            record = make_record(run_id, adapter, f"c{i:02d}", passed, repeat=r, **kw)
            out.append(record.model_copy(update={"tags": ["even" if i % 2 == 0 else "odd"]}))
    return out


def _gates(*texts: str) -> list[Gate]:
    return [parse_gate(t) for t in texts]


def test_thresholds_per_adapter_tag_and_repeat_rule(tmp_path: Path) -> None:
    shares = [[True, True, True, True, False]] * 6 + [[True, False, False, False, False]] * 4
    run = _run(tmp_path, "r", _records("r", "v1", shares) + _records("r", "v2", [[True]] * 10))
    report = evaluate_gates(
        _gates("pass_rate>=0.6", "pass_rate[v1]>=0.6", "pass_rate[tag=odd]>=0.9"),
        load_gate_input(run, "RUN"),
    )
    got = {(r.gate, r.target): (round(r.value or 0, 6), r.passed) for r in report.results}
    # v1: mean of pass shares = (6 * 0.8 + 4 * 0.2) / 10 = 0.56
    assert got[("pass_rate>=0.6", "v1")] == (0.56, False)
    assert got[("pass_rate>=0.6", "v2")] == (1.0, True)
    assert got[("pass_rate[v1]>=0.6", "v1")] == (0.56, False)
    # odd cases of v1: c01, c03, c05 (0.8 each), c07, c09 (0.2 each) -> 0.56
    assert got[("pass_rate[tag=odd]>=0.9", "v1")] == (0.56, False)
    assert report.exit_code == 1 and not report.problems
    ruled = evaluate_gates(
        _gates("pass_rate[v1]>=0.6", "min_pass_share=0.8"), load_gate_input(run, "RUN")
    )
    # with the rule a case passes only at >= 80% of its repeats: 6 of 10 cases
    assert [(r.value, r.passed) for r in ruled.results] == [(0.6, True)]
    assert "a case passes when >= 80% of its repeats pass" in ruled.results[0].message


def test_latency_error_rate_and_scores(tmp_path: Path) -> None:
    rows = [make_record("r", "v1", f"c{i}", True, latency_ms=100.0 + i) for i in range(11)]
    rows.append(make_record("r", "v1", "bad", False, error=ErrorInfo(type="E", message="m")))
    run = _run(tmp_path, "r", rows)
    report = evaluate_gates(
        _gates(
            "latency_p50_ms<=105", "latency_p95_ms<=109", "error_rate<=0.05", "score:token_f1>=0.9"
        ),
        load_gate_input(run, "RUN"),
    )
    got = {r.gate: (round(r.value or 0, 6), r.passed) for r in report.results}
    assert got["latency_p50_ms<=105"] == (105.0, True)  # the errored case has no time
    assert got["latency_p95_ms<=109"] == (109.5, False)
    assert got["error_rate<=0.05"] == (round(1 / 12, 6), False)
    assert got["score:token_f1>=0.9"][1] is True


def test_gates_that_cannot_be_evaluated_are_problems_not_passes(tmp_path: Path) -> None:
    run = _run(tmp_path, "r", _records("r", "v1", [[True]] * 4))
    report = evaluate_gates(
        _gates(
            "pass_rate[v9]>=0.5",
            "pass_rate[tag=geo]>=0.5",
            "score:rouge_l>=0.1",
            "no_regression(pass_rate, margin=0.1)",
            "expectation:contains>=0.5",
        ),
        load_gate_input(run, "RUN"),
    )
    assert report.results == [] and report.exit_code == 4
    text = "\n".join(report.problems)
    for fragment in (
        "has no adapter 'v9'",
        "no case of run r",
        "no case has score:rouge_l",
        "needs a baseline",
        "use score:contains",
    ):
        assert fragment in text
    alone = evaluate_gates(_gates("min_pass_share=0.8"), load_gate_input(run, "RUN"))
    assert alone.exit_code == 4 and "applies to pass-rate thresholds" in alone.problems[0]


def test_baseline_gates_pair_and_warn_about_a_changed_suite(tmp_path: Path) -> None:
    base = _run(tmp_path, "b", _records("b", "v1", [[True]] * 30 + [[False]] * 10))
    # the candidate lost case c39 and gained c40, c41; the shared cases are equal
    rows = _records("c", "v1", [[True]] * 30 + [[False]] * 9)
    rows += [make_record("c", "v1", f"c{i}", True) for i in (40, 41)]
    cand = _run(tmp_path, "c", rows)
    report = evaluate_gates(
        _gates("no_regression(pass_rate, margin=0.2)", "no_significant_regression(pass_rate)"),
        load_gate_input(cand, "RUN"),
        load_gate_input(base, "--baseline"),
        n_resamples=200,
    )
    assert [r.passed for r in report.results] == [True, True]
    assert report.results[0].target == "v1 -> v1"
    assert report.warnings == [
        "the suite changed since the baseline (v1 -> v1): 2 case(s) added (c40, c41), "
        "1 removed (c39); only the 39 shared cases are compared"
    ]
    message = report.results[0].message
    for part in ("pass_rate", "95% CI", "p=", "0.2 share", "lower bound"):
        assert part in message


def test_a_regression_fails_and_the_lenient_gate_needs_significance(tmp_path: Path) -> None:
    base = _run(tmp_path, "b", _records("b", "v1", [[True]] * 40))
    cand = _run(tmp_path, "c", _records("c", "v1", [[True]] * 34 + [[False]] * 6))
    report = evaluate_gates(
        _gates(
            "no_regression(pass_rate, margin=0.05)",
            "no_significant_regression(pass_rate)",
        ),
        load_gate_input(cand, "RUN"),
        load_gate_input(base, "--baseline"),
        n_resamples=200,
    )
    ni, lenient = report.results
    assert (ni.passed, round(ni.value or 0, 6)) == (False, -0.15)
    assert ni.interval is not None and ni.interval[0] < -0.05
    # six discordant cases, all one way: exact McNemar p = 2 / 2**6 = 0.03125 (< 0.05 raw)
    assert ni.p_value is not None and abs(ni.p_value - 0.03125) < 1e-9
    assert lenient.passed is (lenient.p_value is not None and lenient.p_value >= 0.05)
    assert report.exit_code == 1


def test_a_baseline_of_another_suite_is_a_problem(tmp_path: Path) -> None:
    base = _run(tmp_path, "b", _records("b", "v1", [[True]] * 5))
    cand = _run(tmp_path, "c", _records("c", "v1", [[True]] * 5))
    other = load_gate_input(base, "--baseline")
    other.source.manifest = other.source.manifest.model_copy(update={"suite_name": "other"})
    report = evaluate_gates(
        _gates("no_significant_regression(pass_rate)"), load_gate_input(cand, "RUN"), other
    )
    assert report.exit_code == 4 and "only gates runs of its own suite" in report.problems[0]


def test_adapters_a_baseline_gate_names_must_exist(tmp_path: Path) -> None:
    run = _run(tmp_path, "r", _records("r", "v1", [[True]] * 5) + _records("r", "v2", [[True]] * 5))
    base = _run(tmp_path, "b", _records("b", "v0", [[True]] * 5))
    cases = {
        "no_regression(pass_rate[v9], margin=0.1, against=v1)": "run r (",
        "no_regression(pass_rate[v1], margin=0.1, against=v1)": "nothing to compare with 'v1'",
        "no_significant_regression(pass_rate, against=v7)": "has no adapter 'v7'",
    }
    for text, fragment in cases.items():
        report = evaluate_gates(_gates(text), load_gate_input(run, "RUN"))
        assert report.exit_code == 4 and fragment in report.problems[0], report.problems
    # in one run, against=v1 compares every other adapter with v1
    inside = evaluate_gates(
        _gates("no_regression(pass_rate, margin=0.2, against=v1)"),
        load_gate_input(run, "RUN"),
        n_resamples=100,
    )
    assert [r.target for r in inside.results] == ["v1 -> v2"]
    paired = evaluate_gates(
        _gates("no_significant_regression(pass_rate[v2])"),
        load_gate_input(run, "RUN"),
        load_gate_input(base, "--baseline"),
    )
    assert paired.exit_code == 4 and "against=ADAPTER" in paired.problems[0]
