"""What runs used to fail on is caught when the suite loads, with file:line:col.

Gate values out of range, Gradient model adapter ids the API can never accept, replay adapters
whose cassette holds nothing to replay, and expectation options YAML turned into numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.suite.load import load_suite

Write = Callable[..., Path]

ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
BASE = "  a: {type: gradient-base, served_by: emulator, base_model_slug: llama3-8b-chat}\n"


def _errors(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return [str(loc).removeprefix(f"{path.parent}/") for loc in info.value.locations]


# -- gates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (
            "{adapter: a, metric: pass_rate, min: 2}",
            "suite.yaml:6:42: gates[0].min: pass_rate is a rate from 0 to 1, got 2",
        ),
        (
            "{adapter: a, metric: error_rate, max: -0.1}",
            "suite.yaml:6:43: gates[0].max: error_rate is a rate from 0 to 1, got -0.1",
        ),
        (
            "{adapter: a, metric: 'expectation:contains', min: 90}",
            "suite.yaml:6:55: gates[0].min: expectation:contains is a rate from 0 to 1, got 90",
        ),
        (
            "{baseline: a, candidate: a, metric: pass_rate, max_regression: 5}",
            "suite.yaml:6:68: gates[0].max_regression: pass_rate is a rate from 0 to 1, got 5",
        ),
        (
            "{adapter: a, metric: latency_p90_ms, max: 0}",
            "suite.yaml:6:47: gates[0].max: latency_p90_ms is a time in ms; a limit must be "
            "more than 0, got 0",
        ),
        (
            "{adapter: a, metric: pass_rate, min: 0.9, max: 0.5}",
            "suite.yaml:6:42: gates[0].min: min (0.9) is above max (0.5): no result can pass",
        ),
    ],
)
def test_gate_values_out_of_range(write_suite: Write, gate: str, expected: str) -> None:
    path = write_suite(f"name: g\nadapters:\n{BASE}cases: [{{prompt: p}}]\ngates:\n  - {gate}\n")
    errors = _errors(path)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_gate_values_in_range_load(write_suite: Write) -> None:
    suite = load_suite(
        write_suite(
            f"name: g\nadapters:\n{BASE}cases: [{{prompt: p}}]\ngates:\n"
            "  - {adapter: a, metric: pass_rate, min: 0, max: 1}\n"
            "  - {adapter: a, metric: latency_p50_ms, max: 250}\n"
            "  - {baseline: a, candidate: a, metric: ttft_p90_ms, max_regression: 500}\n"
        )
    )
    assert len(suite.gates) == 3
