"""Server lifecycle, injected latency, hangs released at stop, and seeded determinism."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.emulator import EmulatorConfig, EmulatorServer, emulator

from .support import AUTH, call, config, model_id


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "harness-emulator"]


def test_start_stop_leaves_no_thread() -> None:
    before = len(_emulator_threads())
    srv = EmulatorServer(config())
    url = srv.start()
    assert url == srv.base_url == f"http://127.0.0.1:{srv.port}/api"
    assert srv.root_url == f"http://127.0.0.1:{srv.port}"
    assert srv.port > 0
    assert len(_emulator_threads()) == before + 1
    with pytest.raises(RuntimeError, match="already started"):
        srv.start()
    srv.stop()
    srv.stop()  # idempotent
    assert len(_emulator_threads()) == before


def test_port_is_unknown_before_start() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = EmulatorServer(config()).port


def test_context_manager_yields_the_base_url() -> None:
    with EmulatorServer(config()) as url:
        assert url.endswith("/api")
        assert call("GET", f"{url}/models", None, AUTH).status == 200
    with pytest.raises(OSError):
        call("GET", f"{url}/models", None, AUTH)


def test_busy_port_fails_at_start(server: EmulatorServer) -> None:
    with pytest.raises(OSError):
        EmulatorServer(config(), port=server.port).start()


def test_emulator_helper_takes_a_config_a_path_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "emu.yaml"
    path.write_text("models:\n  - name: b\n    slug: b\n", encoding="utf-8")
    headers = {"Authorization": "Bearer t", "x-gradient-workspace-id": "w"}
    for source in (
        path,
        str(path),
        EmulatorConfig.model_validate({"models": [{"name": "b", "slug": "b"}]}),
    ):
        with emulator(source) as url:
            assert [
                m["slug"] for m in call("GET", f"{url}/models", None, headers).json["models"]
            ] == ["b"]
    with emulator() as url:
        slugs = [
            m["slug"]
            for m in call("GET", f"{url}/models?onlyBase=true&capability=any", None, headers).json[
                "models"
            ]
        ]
        assert "llama2-7b-chat" in slugs


def test_injected_delay_is_at_least_the_delay(server: EmulatorServer) -> None:
    url = f"{server.base_url}/models/{model_id('slow')}/complete"
    start = time.perf_counter()
    reply = call("POST", url, {"query": "hi"}, AUTH)
    elapsed = time.perf_counter() - start
    assert reply.status == 200
    assert elapsed >= 0.150


def test_per_token_latency_counts_output_tokens(start_server: Any) -> None:
    srv = start_server(
        EmulatorConfig.model_validate(
            {
                "models": [
                    {
                        "name": "b",
                        "slug": "b",
                        "default": "one two three four five six",
                        "latency": {"per_token_ms": 40},
                    },
                ]
            }
        )
    )
    headers = {"Authorization": "Bearer t", "x-gradient-workspace-id": "w"}
    url = f"{srv.base_url}/models/{srv.config.model('b').model_id}/complete"
    start = time.perf_counter()
    assert call("POST", url, {"query": "q"}, headers).json["finishReason"] == "stop"
    assert time.perf_counter() - start >= 6 * 0.040


def _hanging_config(**faults: Any) -> EmulatorConfig:
    return EmulatorConfig.model_validate({"models": [{"name": "h", "slug": "h", **faults}]})


@pytest.mark.parametrize(
    "behaviour",
    [{"faults": {"hang": 1, "hang_s": 600}}, {"latency": {"delay_ms": 600_000}}],
    ids=["hang", "long-delay"],
)
def test_waiting_requests_are_released_at_stop(behaviour: dict[str, Any]) -> None:
    srv = EmulatorServer(_hanging_config(**behaviour))
    srv.start()
    url = f"{srv.base_url}/models/{srv.config.model('h').model_id}/complete"
    headers = {"Authorization": "Bearer t", "x-gradient-workspace-id": "w"}
    outcome: list[Any] = []

    def request() -> None:
        try:
            outcome.append(call("POST", url, {"query": "q"}, headers).status)
        except OSError as exc:  # the connection closed under it: also a release
            outcome.append(exc)

    worker = threading.Thread(target=request)
    worker.start()
    deadline = time.monotonic() + 30
    while srv.stats()["in_flight"] == 0:
        assert time.monotonic() < deadline, "the request never reached the emulator"
        time.sleep(0.01)
    srv.stop()
    worker.join(30)
    assert not worker.is_alive()
    assert outcome == [503]
    assert not any(t.is_alive() for t in _emulator_threads() if t is srv._thread)


FLAKY: dict[str, Any] = {
    "seed": 11,
    "models": [
        {
            "name": "b",
            "slug": "b",
            "default": "one two three",
            "latency": {"jitter_ms": 5},
            "faults": {"rate_limit": 0.3, "server_error": 0.2},
        }
    ],
}
HEADERS = {"Authorization": "Bearer t", "x-gradient-workspace-id": "w"}


async def _fire(url: str, prompts: list[str]) -> list[tuple[str, int]]:
    async with aiohttp.ClientSession(headers=HEADERS) as session:

        async def one(prompt: str) -> tuple[str, int]:
            async with session.post(url, json={"query": prompt}) as response:
                await response.read()
                return prompt, response.status

        return await asyncio.gather(*(one(p) for p in prompts))


def _outcomes(srv: EmulatorServer, prompts: list[str]) -> list[tuple[str, int]]:
    url = f"{srv.base_url}/models/{srv.config.model('b').model_id}/complete"
    return asyncio.run(_fire(url, prompts))


def test_same_seed_same_outcomes_despite_concurrency(start_server: Any) -> None:
    prompts = [f"prompt {i % 4}" for i in range(80)]
    first = start_server(EmulatorConfig.model_validate(FLAKY))
    second = start_server(EmulatorConfig.model_validate(FLAKY))
    a = Counter(_outcomes(first, prompts))
    b = Counter(_outcomes(second, list(reversed(prompts))))
    assert a == b
    statuses = Counter(status for (_, status), n in a.items() for _ in range(n))
    assert set(statuses) == {200, 429, 500}


def test_sequential_outcomes_replay_exactly_after_reset(start_server: Any) -> None:
    srv = start_server(EmulatorConfig.model_validate(FLAKY))
    url = f"{srv.base_url}/models/{srv.config.model('b').model_id}/complete"
    run1 = [call("POST", url, {"query": "same"}, HEADERS).status for _ in range(20)]
    srv.reset()
    run2 = [call("POST", url, {"query": "same"}, HEADERS).status for _ in range(20)]
    assert run1 == run2
    assert len(set(run1)) > 1


def test_another_seed_gives_other_outcomes(start_server: Any) -> None:
    prompts = [f"p{i}" for i in range(40)]
    a = start_server(EmulatorConfig.model_validate(FLAKY))
    b = start_server(EmulatorConfig.model_validate({**FLAKY, "seed": 12}))
    assert _outcomes(a, prompts) != _outcomes(b, prompts)


def test_hundreds_of_concurrent_requests(start_server: Any) -> None:
    srv = start_server(EmulatorConfig.model_validate({"models": [{"name": "b", "slug": "b"}]}))
    results = _outcomes(srv, [f"q{i}" for i in range(300)])
    assert Counter(status for _, status in results) == {200: 300}
