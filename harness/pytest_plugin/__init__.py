"""The pytest plugin (entry point ``pytest11: harness``): suite files collected as tests, fixtures
for users' own tests, and a pytest-benchmark helper (docs/pytest.md).

Installed but not opted in, it only registers its options, markers and fixtures: it collects
nothing and starts nothing. Module-level imports here stay light (pytest and the standard
library); the suite loader, the runner and the emulator load when a suite is collected or a
fixture is used.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from harness.pytest_plugin.options import (
    HARNESS_MARKER,
    add_options,
    is_opted_in,
    suite_paths,
)
from harness.pytest_plugin.session import SESSION_KEY, HarnessSession

__all__ = ["pytest_plugins"]

# The fixtures live in their own module, registered with this plugin (and only with it).
pytest_plugins = ["harness.pytest_plugin.fixtures"]

_SUITES_KEY = pytest.StashKey[frozenset[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{HARNESS_MARKER}: an item collected from a harness suite file"
    )
    config.stash[_SUITES_KEY] = suite_paths(config) if is_opted_in(config) else frozenset()
    config.stash[SESSION_KEY] = HarnessSession(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A suite file named by ``--harness-suites`` / ``harness_suites`` becomes a SuiteFile."""
    suites = parent.config.stash.get(_SUITES_KEY, frozenset())
    if not suites or file_path.resolve() not in suites:
        return None
    from harness.pytest_plugin.collect import SuiteFile

    return SuiteFile.from_parent(parent, path=file_path)


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    try:
        return (yield)
    finally:
        harness = session.config.stash.get(SESSION_KEY, None)
        if harness is not None:
            harness.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    harness = terminalreporter.config.stash.get(SESSION_KEY, None)
    if harness is None:
        return
    for line in harness.summary_lines():
        terminalreporter.write_line(line)
