"""The no_regression gate on 200 seeded simulations each: false alarms and detection.

200 cases x 5 repeats (tests/analysis/paired_simulation.py: per-case difficulty shared by
both versions, correctness correlated ~0.6, lognormal latency noise). Gates:
``no_regression(pass_rate, margin=0.07)`` and ``no_regression(latency_p50_ms, margin=10%)``
at 95% confidence. Non-inferiority fails a candidate that is exactly ``margin`` worse with
probability 95% (its level), so a drop at least as large as the margin is caught >= 95% of
the time; a candidate that did not change fails only when the interval is wider than the
margin allows (the margin must be above ~3.3 standard errors of the difference: here the
pass-rate SE is ~0.017, so 0.07 leaves room, and 0.10 would catch a 10-point drop only half
the time). docs/gates.md explains the trade-off.
"""

from __future__ import annotations

from harness.gates.evaluate import GateReport, evaluate_gates
from harness.gatespec import parse_gate
from tests.analysis.paired_simulation import simulate_pair
from tests.gates.support import frame_input

SIMULATIONS = 200
LEVEL = 0.05
GATES = [
    parse_gate("no_regression(pass_rate, margin=0.07)"),
    parse_gate("no_regression(latency_p50_ms, margin=10%)"),
]


def _reports(offset: int, **planted: float) -> list[GateReport]:
    out = []
    for seed in range(SIMULATIONS):
        base, candidate = simulate_pair(offset + seed, repeats=5, **planted)
        out.append(
            evaluate_gates(
                GATES,
                frame_input("cand", {"v1": candidate}),
                frame_input("base", {"v1": base}),
                seed=seed,
                n_resamples=200,
            )
        )
    return out


def _failures(reports: list[GateReport], figure: str) -> int:
    found = [r for report in reports for r in report.results if r.figure == figure]
    assert len(found) == len(reports)
    return sum(not r.passed for r in found)


def test_unchanged_versions_fail_at_most_at_the_nominal_level() -> None:
    reports = _reports(50_000)
    assert all(r.exit_code in (0, 1) and not r.problems for r in reports)
    assert _failures(reports, "pass_rate") <= LEVEL * SIMULATIONS
    assert _failures(reports, "latency_p50_ms") <= LEVEL * SIMULATIONS


def test_a_ten_point_drop_and_a_thirty_percent_slowdown_are_caught() -> None:
    reports = _reports(60_000, pass_drop=0.10, latency_factor=1.3)
    assert _failures(reports, "pass_rate") >= 0.95 * SIMULATIONS
    assert _failures(reports, "latency_p50_ms") >= 0.95 * SIMULATIONS
    assert sum(r.exit_code == 1 for r in reports) >= 0.95 * SIMULATIONS
