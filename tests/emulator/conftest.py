"""Emulator fixtures: real servers on 127.0.0.1:0, stopped at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.emulator import EmulatorConfig, EmulatorServer

from .support import config


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """One emulator per test module, serving CONFIG."""
    srv = EmulatorServer(config())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def start_server() -> Iterator[Callable[[EmulatorConfig], EmulatorServer]]:
    """Start servers on demand; every one is stopped at teardown."""
    started: list[EmulatorServer] = []

    def start(cfg: EmulatorConfig) -> EmulatorServer:
        srv = EmulatorServer(cfg)
        srv.start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
