"""Fixtures for users' own tests: a suite, an adapter ready to call, a suite's analysed run,
the embedded emulator, and the benchmark helper. Each loads what it needs when first used."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.pytest_plugin.session import SESSION_KEY

if TYPE_CHECKING:
    from harness.analysis.summarize import RunSummary
    from harness.pytest_plugin.adapter import ReadyAdapter
    from harness.suite.load import Suite

__all__ = [
    "harness_adapter",
    "harness_benchmark_fixture",
    "harness_emulator",
    "harness_run",
    "harness_suite",
]


def _resolve(config: pytest.Config, path: str | Path) -> Path:
    """A suite path as written in a test: absolute, or relative to the rootdir."""
    path = Path(path)
    return path if path.is_absolute() else config.rootpath / path


@pytest.fixture(scope="session")
def harness_suite(pytestconfig: pytest.Config) -> Callable[[str | Path], Suite]:
    """``harness_suite(path)``: the loaded, validated suite (once per session per path)."""
    loaded: dict[Path, Suite] = {}

    def load(path: str | Path) -> Suite:
        from harness.suite.load import load_suite

        resolved = _resolve(pytestconfig, path).resolve()
        if resolved not in loaded:
            loaded[resolved] = load_suite(resolved)
        return loaded[resolved]

    return load


def _default_suite(config: pytest.Config) -> Path:
    from harness.pytest_plugin.options import suite_paths

    found = sorted(suite_paths(config))
    if len(found) != 1:
        raise pytest.UsageError(
            "harness_adapter(name) needs suite=PATH when harness_suites does not name exactly "
            f"one suite file (it names {len(found)})"
        )
    return found[0]


@pytest.fixture
def harness_adapter(
    pytestconfig: pytest.Config, harness_suite: Callable[[str | Path], Suite]
) -> Iterator[Callable[..., ReadyAdapter]]:
    """``harness_adapter(name, suite=PATH)``: the suite's adapter, built and ready to call.

    Its emulator (``served_by: emulator``) is started once per session; the adapter and its
    event loop are closed when the test ends.
    """
    made: list[ReadyAdapter] = []

    def build(name: str, suite: str | Path | None = None) -> ReadyAdapter:
        from harness.pytest_plugin.adapter import ReadyAdapter

        loaded = harness_suite(suite if suite is not None else _default_suite(pytestconfig))
        config = next((a for a in loaded.adapters if a.name == name), None)
        if config is None:
            names = ", ".join(a.name for a in loaded.adapters)
            raise LookupError(f"suite {loaded.name!r} has no adapter {name!r}; it has: {names}")
        emulator = pytestconfig.stash[SESSION_KEY].emulator_for(loaded)
        made.append(ReadyAdapter(loaded, config, emulator))
        return made[-1]

    yield build
    for adapter in made:
        adapter.close()


@pytest.fixture(scope="session")
def harness_run(
    pytestconfig: pytest.Config, harness_suite: Callable[[str | Path], Suite]
) -> Callable[[str | Path], RunSummary]:
    """``harness_run(path)``: run the whole suite once per session; its analysed summary.

    The run folder lands beside the collected suites' (``--harness-report``), named
    ``<suite>-fixture``.
    """
    summaries: dict[Path, RunSummary] = {}

    def run(path: str | Path) -> RunSummary:
        from harness.analysis.summarize import summarize_run

        suite = harness_suite(path)
        key = suite.path.resolve()
        if key not in summaries:
            made = pytestconfig.stash[SESSION_KEY].run(suite, kind="fixture")
            summaries[key] = summarize_run(made.run_dir)
        return summaries[key]

    return run


@pytest.fixture(scope="session")
def harness_emulator() -> Iterator[str]:
    """The embedded emulator with its built-in models, for the session: its Gradient base URL
    (``…/api``); the OpenAI-compatible API is at the same host under ``/v1``."""
    from harness.emulator import emulator

    with emulator() as base_url:
        yield base_url


@pytest.fixture(name="harness_benchmark")
def harness_benchmark_fixture() -> Callable[..., dict[str, Any]]:
    """The ``harness_benchmark(benchmark, adapter, cases, rounds=N)`` helper, as a fixture."""
    from harness.pytest_plugin.benchmark import harness_benchmark

    return harness_benchmark
