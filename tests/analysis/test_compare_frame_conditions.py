"""Conditions warnings: each difference between two runs' run.json is named, with both values."""

from __future__ import annotations

from typing import Any

import pytest

from harness.analysis.paired.conditions import condition_warnings, status_warnings
from tests.analysis.test_compare_frame_sources import manifest

MACHINE = {
    "node": "ci-1",
    "system": "Linux",
    "release": "6.1",
    "machine": "x86_64",
    "cpu": "Xeon",
    "cpu_count": 2,
    "python_implementation": "CPython",
}
EXECUTION = {
    "concurrency": 8,
    "warmup_requests_per_adapter": 0,
    "adapter_concurrency": {"v1": None, "v2": 2},
    "rpm": {"v1": None, "v2": 60.0},
}


def _run(run_id: str, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "machine": dict(MACHINE),
        "execution": {k: (dict(v) if isinstance(v, dict) else v) for k, v in EXECUTION.items()},
        "versions": {"python": "3.11.7", "harness": "0.1.0"},
    }
    for key, value in changes.items():
        block, _, field = key.partition("__")
        if field:
            fields[block][field] = value
        else:
            fields[key] = value
    return manifest(run_id, ["v1", "v2"], **fields)


def test_same_conditions_no_warning() -> None:
    assert condition_warnings(_run("a"), _run("b"), [("v1", "v1"), ("v2", "v2")]) == []


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"execution__concurrency": 1}, "concurrency differs: base 8, candidate 1"),
        ({"machine__node": "pc"}, "machine (hostname) differs: base 'ci-1', candidate 'pc'"),
        ({"machine__cpu": "EPYC"}, "CPU model differs: base 'Xeon', candidate 'EPYC'"),
        ({"machine__cpu_count": 16}, "CPU count differs: base 2, candidate 16"),
        ({"machine__system": "Darwin"}, "operating system differs"),
        ({"harness_version": "0.2.0"}, "harness version differs: base '0.1.0', candidate '0.2.0'"),
        ({"versions__python": "3.12.1"}, "Python version differs"),
        ({"execution__warmup_requests_per_adapter": 3}, "warm-up requests per adapter differs"),
    ],
)  # fmt: skip
def test_each_difference_is_named(change: dict[str, Any], warning: str) -> None:
    (found,) = condition_warnings(_run("a"), _run("b", **change), [("v1", "v1")])
    assert found.startswith(warning), found
    assert found.endswith("timings from the two runs may not be comparable")


def test_a_different_suite_says_what_may_differ() -> None:
    (found,) = condition_warnings(_run("a"), _run("b", suite_sha256="cd" * 32), [])
    assert found == (
        "suite sha256 differs: base 'abababababab', candidate 'cdcdcdcdcdcd'; the runs used "
        "different suite files (cases, expectations or adapters may differ)"
    )


def test_per_adapter_limits_of_the_compared_adapters() -> None:
    candidate = _run("b")
    candidate.execution["rpm"]["v2"] = 30.0
    candidate.execution["adapter_concurrency"]["v1"] = 4
    assert condition_warnings(_run("a"), candidate, [("v2", "v2")]) == [
        "'v2' rate limit differs: base 60.0, candidate 30.0; "
        "timings from the two runs may not be comparable"
    ]
    assert condition_warnings(_run("a"), candidate, [("v1", "v1")]) == [
        "'v1' concurrency limit differs: base unset, candidate 4; "
        "timings from the two runs may not be comparable"
    ]
    # an explicit pair compares each side's own limits
    limit, rate = condition_warnings(_run("a"), candidate, [("v2", "v1")])
    assert limit.startswith("'v2'/'v1' concurrency limit differs: base 2, candidate 4;")
    assert rate.startswith("'v2'/'v1' rate limit differs: base 60.0, candidate unset;")


def test_a_field_an_older_run_lacks_is_not_a_difference() -> None:
    old = _run("a")
    del old.machine["cpu"]
    assert condition_warnings(old, _run("b", machine__cpu="EPYC"), []) == []


def test_inside_one_run_nothing_is_compared() -> None:
    assert condition_warnings(_run("a"), _run("a", execution__concurrency=1), []) == []


def test_runs_that_did_not_complete_are_named() -> None:
    assert status_warnings(
        [("base", _run("a")), ("candidate", _run("b", status="interrupted"))]
    ) == ["the candidate run b is interrupted, not completed: some of its cases may be missing"]
