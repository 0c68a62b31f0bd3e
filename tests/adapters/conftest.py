"""Fixtures for the Gradient adapter tests: the project's emulator, a scripted HTTP server, LLMs.

Everything goes over real loopback HTTP through the real ``gradientai`` SDK (sync path) and
aiohttp (async path); nothing in the adapter is mocked.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harness.adapters.gradient import GradientBaseModelLLM, GradientModelAdapterLLM
from harness.emulator import EmulatorConfig, EmulatorServer, SimulatedModel

TOKEN = "sk-test-Zq81TopSecretToken-4471"
WORKSPACE = "ws-adapter-tests"
BASE_SLUG = "llama2-7b-chat"
OTHER_SLUG = "nous-hermes2"
COMPLETE_ONLY_SLUG = "bloom-560"
SLOW_DELAY_MS = 500
RETRY_AFTER_S = 7

#: A syntactically valid (50-character) adapter id that no server knows.
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000_model_adapter"
assert len(UNKNOWN_ID) == 50


def emulator_config() -> EmulatorConfig:
    """Two base models and one adapter per behaviour the tests need."""
    return EmulatorConfig(
        seed=0,
        access_token=TOKEN,
        workspace_id=WORKSPACE,
        models=[
            SimulatedModel(name="base", slug=BASE_SLUG, default="base says: {{ prompt }}"),
            SimulatedModel(name="other base", slug=OTHER_SLUG),
            SimulatedModel(
                name="complete only", slug=COMPLETE_ONLY_SLUG, capabilities=["complete"]
            ),
            SimulatedModel(
                name="echo",
                base_model=BASE_SLUG,
                responses=[
                    {"prompt": "What is the capital of France?", "answer": "Paris"},
                    {"regex": r"^count (\d+)$", "answer": "one two three four five six"},
                ],
                default="echo: {{ prompt }}",
            ),
            SimulatedModel(
                name="slow",
                base_model=BASE_SLUG,
                default="slow answer",
                latency={"delay_ms": SLOW_DELAY_MS},
            ),
            SimulatedModel(
                name="hanging", base_model=BASE_SLUG, faults={"hang": 1.0, "hang_s": 60}
            ),
            SimulatedModel(
                name="limited",
                base_model=BASE_SLUG,
                faults={"rate_limit": 1.0, "retry_after_s": RETRY_AFTER_S},
            ),
            SimulatedModel(name="broken", base_model=BASE_SLUG, faults={"server_error": 1.0}),
        ],
    )


@pytest.fixture(autouse=True)
def _no_gradient_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Also done by tests/conftest.py; repeated so these tests never depend on another file.
    for name in list(os.environ):
        if name.startswith("GRADIENT_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def gradient_emulator() -> Iterator[EmulatorServer]:
    """One emulator for the session (real HTTP on 127.0.0.1:0); stats reset per test."""
    server = EmulatorServer(emulator_config())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(gradient_emulator: EmulatorServer) -> EmulatorServer:
    gradient_emulator.reset()
    return gradient_emulator


@pytest.fixture
def model_id() -> Callable[[str], str]:
    """The emulator's id for a model name, e.g. ``model_id("echo")``."""
    config = emulator_config()
    return lambda name: config.model(name).model_id


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


LLM = GradientModelAdapterLLM | GradientBaseModelLLM


@pytest.fixture
def make_adapter(
    emulator: EmulatorServer, model_id: Callable[[str], str]
) -> Iterator[Callable[..., GradientModelAdapterLLM]]:
    """Build a GradientModelAdapterLLM for an emulator model name; closed at teardown."""
    made: list[GradientModelAdapterLLM] = []

    def make(name: str, **overrides: Any) -> GradientModelAdapterLLM:
        kwargs: dict[str, Any] = {
            "model_adapter_id": model_id(name) if name in _NAMES else name,
            "host": emulator.base_url,
            "access_token": TOKEN,
            "workspace_id": WORKSPACE,
        }
        kwargs.update(overrides)
        llm = GradientModelAdapterLLM(**kwargs)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


@pytest.fixture
def make_base(emulator: EmulatorServer) -> Iterator[Callable[..., GradientBaseModelLLM]]:
    """Build a GradientBaseModelLLM for a slug on the emulator; closed at teardown."""
    made: list[GradientBaseModelLLM] = []

    def make(slug: str = BASE_SLUG, **overrides: Any) -> GradientBaseModelLLM:
        kwargs: dict[str, Any] = {
            "base_model_slug": slug,
            "host": emulator.base_url,
            "access_token": TOKEN,
            "workspace_id": WORKSPACE,
        }
        kwargs.update(overrides)
        llm = GradientBaseModelLLM(**kwargs)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


_NAMES = {m.name for m in emulator_config().models}


# -- a scripted server: fixed answers for the completion route, records what it received -------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ScriptedServer:
    """Answers lookups as a valid Gradient server and completions with ``status``/``body``.

    ``echo_auth`` makes the error message quote the Authorization header back, to prove the
    adapter masks a token even when a server leaks it.
    """

    url: str = ""
    status: int = 200
    body: Any = field(default_factory=lambda: {"generatedOutput": "ok", "finishReason": "stop"})
    headers: dict[str, str] = field(default_factory=dict)
    echo_auth: bool = False
    requests: list[Recorded] = field(default_factory=list)


def _handler_for(state: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _record(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.requests.append(
                Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
            return body

        def do_GET(self) -> None:
            self._record()
            model_id = self.path.split("?")[0].rsplit("/", 1)[-1]
            if self.path.startswith("/api/models?"):
                self._send(
                    200,
                    {
                        "models": [
                            {
                                "id": "b" * 36 + "_base_ml_model",
                                "name": "b",
                                "slug": BASE_SLUG,
                                "capabilities": ["complete"],
                                "type": "baseModel",
                            }
                        ]
                    },
                )
            else:
                self._send(
                    200,
                    {
                        "id": model_id,
                        "name": "adapter",
                        "baseModelId": "x",
                        "latestUpdateTime": "2024-01-01T00:00:00.000Z",
                        "type": "modelAdapter",
                    },
                )

        def do_POST(self) -> None:
            self._record()
            body = state.body
            if state.echo_auth and isinstance(body, dict):
                body = {
                    **body,
                    "message": f"{body.get('message')} (you sent "
                    f"{self.headers.get('Authorization')})",
                }
            self._send(state.status, body, state.headers)

    return Handler


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    state = ScriptedServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
