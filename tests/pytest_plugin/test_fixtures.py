"""Fixtures for users' own tests, and the pytest-benchmark helper with its saved JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.pytest_plugin.conftest import GOOD_ID, MODELS, SMALL, run

USER_TESTS = f"""
import urllib.request

from harness.pytest_plugin.benchmark import harness_benchmark as helper


def test_suite_fixture(harness_suite):
    suite = harness_suite("suites/small.yaml")
    assert [c.id for c in suite.cases] == ["greet", "other"]


def test_adapter_fixture(harness_adapter):
    good = harness_adapter("good", suite="suites/small.yaml")
    assert good.complete("Say something fine.") == "fine"
    assert good.identity["model"] == "{GOOD_ID}"


def test_run_fixture(harness_run):
    summary = harness_run("suites/small.yaml")
    assert summary.adapter("good").pass_rate == 1.0
    assert summary.adapter("bad").pass_rate == 0.0
    assert harness_run("suites/small.yaml") is summary  # once per session


def test_emulator_fixture(harness_emulator):
    assert harness_emulator.startswith("http://127.0.0.1:") and harness_emulator.endswith("/api")
    root = harness_emulator.removesuffix("/api")
    with urllib.request.urlopen(root + "/v1/models", timeout=10) as reply:
        assert reply.status == 200


def test_latency(benchmark, harness_adapter, harness_benchmark):
    assert harness_benchmark is helper
    good = harness_adapter("good", suite="suites/small.yaml")
    harness_benchmark(benchmark, good, ["greet", "other"], rounds=3)
"""


def test_fixtures_and_a_saved_benchmark_with_the_adapter_figures(
    pytester: pytest.Pytester,
) -> None:
    """Not opted in to collection: the fixtures work on their own, and the benchmark's JSON
    carries TTFT, tokens and the adapter's identity in extra_info."""
    suites = pytester.mkdir("suites")
    (suites / "models.yaml").write_text(MODELS)
    (suites / "small.yaml").write_text(SMALL)
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(
        pytester,
        "-p",
        "no:cacheprovider",
        "--harness-report",
        "out",
        "--harness-no-reports",
        "--benchmark-enable",
        "--benchmark-json",
        "bench.json",
    )
    result.assert_outcomes(passed=5)
    assert (pytester.path / "out" / "small-fixture" / "results.jsonl").is_file()
    saved = json.loads((pytester.path / "bench.json").read_text())
    [bench] = saved["benchmarks"]
    info = bench["extra_info"]
    assert info["adapter"] == "good" and info["adapter_type"] == "openai-compatible"
    assert info["model"] == GOOD_ID and info["served_by"] == "emulator"
    assert info["cases"] == ["greet", "other"]
    assert info["calls"] == 6  # 3 timed rounds x 2 cases; the warm-up round is not counted
    assert bench["stats"]["rounds"] == 3
    # a round is two whole calls, so one call's first chunk comes before a round's median
    assert 0 < info["ttft_median_ms"] < bench["stats"]["median"] * 1000
    assert info["output_tokens_median"] == 1  # "fine"
    assert info["ttft_emulated"] is False


class _Benchmark:
    """pytest-benchmark's pedantic contract, enough to count rounds."""

    def __init__(self) -> None:
        self.extra_info: dict[str, Any] = {}
        self.rounds = 0

    def pedantic(self, target: Any, rounds: int, iterations: int, warmup_rounds: int) -> None:
        for _ in range(rounds * iterations):
            target()
            self.rounds += 1


def test_every_round_runs_on_one_event_loop(write_suite: Any) -> None:
    from harness.pytest_plugin.adapter import ReadyAdapter
    from harness.pytest_plugin.benchmark import harness_benchmark
    from harness.runner.setup import EmulatorHandle
    from harness.suite.load import load_suite

    write_suite(MODELS, "models.yaml")
    suite = load_suite(write_suite(SMALL, "small.yaml"))
    with EmulatorHandle(suite) as emulator:
        adapter = ReadyAdapter(suite, suite.adapters[0], emulator)
        loops: set[int] = set()
        send = adapter.asend

        async def spy(case: Any) -> Any:
            loops.add(id(asyncio.get_running_loop()))
            return await send(case)

        adapter.asend = spy  # type: ignore[method-assign]
        bench = _Benchmark()
        try:
            info = harness_benchmark(bench, adapter, "greet", rounds=4)
        finally:
            adapter.close()
    assert bench.rounds == 4 and info["calls"] == 4
    assert loops == {id(adapter.loop)}
