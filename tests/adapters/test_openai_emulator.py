"""Both OpenAI adapter types against the project's emulator (its OpenAI routes), over loopback.

The scripted-server tests pin exact frames and every error branch; these check the adapters
against the emulator that suites and benchmarks use: token counts, usage, latency profile,
injected faults, and the request counts the emulator itself keeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from harness.adapters.openai_compatible_llm import OpenAICompatibleLLM
from harness.adapters.openai_like import OPENAI_LIKE
from harness.emulator import EmulatorConfig, EmulatorServer, SimulatedModel
from harness.errors import (
    AuthenticationError,
    ConnectionFailedError,
    ModelNotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)

KEY = "sk-emulator-Qx55TopSecretKey-0017"
ANSWER = "one two three four five six"  # six tokens, one per event


def config() -> EmulatorConfig:
    return EmulatorConfig(
        seed=0,
        access_token=KEY,
        models=[
            SimulatedModel(name="chatty", slug="chatty", default=ANSWER),
            SimulatedModel(
                name="slow first", slug="slow-first", default=ANSWER, latency={"delay_ms": 200}
            ),
            SimulatedModel(
                name="limited", slug="limited", faults={"rate_limit": 1.0, "retry_after_s": 7}
            ),
            SimulatedModel(name="broken", slug="broken", faults={"server_error": 1.0}),
            SimulatedModel(name="hanging", slug="hanging", faults={"hang": 1.0, "hang_s": 60}),
            SimulatedModel(
                name="dropper", slug="dropper", default=ANSWER, faults={"disconnect": 1.0}
            ),
        ],
    )


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(config())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator(module_emulator: EmulatorServer) -> EmulatorServer:
    module_emulator.reset()
    return module_emulator


@pytest.fixture
def make_llm(emulator: EmulatorServer) -> Iterator[Callable[..., OpenAICompatibleLLM]]:
    made: list[OpenAICompatibleLLM] = []

    def make(model: str = "chatty", **overrides: Any) -> OpenAICompatibleLLM:
        kwargs = {"model": model, "api_base": emulator.root_url + "/v1", "api_key": KEY}
        llm = OpenAICompatibleLLM(**{**kwargs, **overrides})
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


def run(llm: Any, make_coro: Callable[[], Any]) -> Any:
    async def main() -> Any:
        try:
            return await make_coro()
        finally:
            await llm.aclose()

    return asyncio.run(main())


def stream(llm: Any, prompt: str = "hi") -> list[Any]:
    async def collect() -> list[Any]:
        return [r async for r in await llm.astream_complete(prompt)]

    return run(llm, collect)  # type: ignore[no-any-return]


def completions(emulator: EmulatorServer, route: str = "v1_completions") -> int:
    return int(emulator.stats()["by_route"].get(route, 0))


def test_completion_streams_a_delta_per_token_with_usage(
    emulator: EmulatorServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    responses = stream(make_llm())
    deltas = [r.delta for r in responses if r.delta]
    assert len(deltas) == 6
    assert "".join(deltas) == ANSWER == responses[-1].text
    last = responses[-1].raw
    assert last["finish_reason"] == "stop"
    assert last["usage"]["completion_tokens"] == 6
    assert last["usage"]["total_tokens"] == last["usage"]["prompt_tokens"] + 6
    assert completions(emulator) == 1


def test_chat_streams_through_the_chat_route(
    emulator: EmulatorServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm(is_chat_model=True)

    async def collect() -> list[Any]:
        messages = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content="u")]
        return [r async for r in await llm.astream_chat(messages)]

    responses = run(llm, collect)
    assert [r.delta for r in responses if r.delta] == [" " * (i > 0) + w for i, w in
                                                      enumerate(ANSWER.split())]  # fmt: skip
    assert responses[-1].message.content == ANSWER
    assert responses[-1].raw["usage"]["completion_tokens"] == 6
    assert completions(emulator, "v1_chat_completions") == 1


def test_sync_complete(make_llm: Callable[..., OpenAICompatibleLLM]) -> None:
    response = make_llm().complete("hi", max_tokens=3)
    assert response.text == "one two three"
    assert response.raw["finish_reason"] == "length"


def test_aprepare_finds_the_model_in_the_listing(
    make_llm: Callable[..., OpenAICompatibleLLM],
) -> None:
    llm = make_llm()
    run(llm, llm.aprepare)
    missing = make_llm("chaty")
    with pytest.raises(ModelNotFoundError, match="did you mean 'chatty'"):
        run(missing, missing.aprepare)


def test_first_delta_arrives_after_the_servers_first_token_delay(
    make_llm: Callable[..., OpenAICompatibleLLM],
) -> None:
    llm = make_llm("slow-first")
    first: list[float] = []

    async def measure() -> None:
        start = time.perf_counter()
        async for response in await llm.astream_complete("hi"):
            if response.delta and not first:
                first.append(time.perf_counter() - start)

    run(llm, measure)
    assert first[0] >= 0.2


def test_64_concurrent_streams_all_complete(
    emulator: EmulatorServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm()

    async def one(i: int) -> str:
        return str([r async for r in await llm.astream_complete(f"q{i}")][-1].text)

    async def all_of_them() -> list[str]:
        return await asyncio.gather(*(one(i) for i in range(64)))

    assert run(llm, all_of_them) == [ANSWER] * 64
    assert completions(emulator) == 64
    assert emulator.stats()["by_status"] == {"200": 64}


@pytest.mark.parametrize(
    ("model", "overrides", "error_type", "fragment"),
    [
        ("chatty", {"api_key": "sk-wrong-key-00000"}, AuthenticationError, "invalid_api_key"),
        ("nope", {}, ModelNotFoundError, "model_not_found"),
        ("limited", {}, RateLimitedError, "rate_limit_exceeded"),
        ("broken", {}, ServerError, "server_error"),
        ("hanging", {"timeout": 0.3}, RequestTimeoutError, "within 0.3s"),
        ("dropper", {}, ConnectionFailedError, "after 3 tokens"),
    ],
)
def test_injected_failures_map_to_harness_errors(
    make_llm: Callable[..., OpenAICompatibleLLM],
    model: str,
    overrides: dict[str, Any],
    error_type: type[Exception],
    fragment: str,
) -> None:
    with pytest.raises(error_type, match=fragment) as info:
        stream(make_llm(model, **overrides))
    assert KEY not in str(info.value)
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after_s == 7


def test_openai_like_streams_against_the_emulator(emulator: EmulatorServer) -> None:
    options = {"model": "chatty", "api_base": emulator.root_url + "/v1", "api_key": KEY}
    llm = OPENAI_LIKE.build(OPENAI_LIKE.options.model_validate(options))
    deltas = [r.delta for r in stream(llm) if r.delta]
    assert len(deltas) == 6 and "".join(deltas) == ANSWER
    chat = OPENAI_LIKE.build(OPENAI_LIKE.options.model_validate({**options, "is_chat_model": True}))

    async def collect() -> list[Any]:
        return [r async for r in await chat.astream_chat([ChatMessage(role="user", content="u")])]

    assert "".join(r.delta or "" for r in run(chat, collect)) == ANSWER
    assert completions(emulator) == 1 and completions(emulator, "v1_chat_completions") == 1


def test_openai_like_errors_from_the_emulator(emulator: EmulatorServer) -> None:
    base = {"api_base": emulator.root_url + "/v1", "api_key": KEY}
    limited = OPENAI_LIKE.build(OPENAI_LIKE.options.model_validate({**base, "model": "limited"}))
    with pytest.raises(RateLimitedError) as info:
        stream(limited)
    assert info.value.retry_after_s == 7
    wrong = {**base, "model": "chatty", "api_key": "sk-wrong-key-00000"}
    with pytest.raises(AuthenticationError):
        stream(OPENAI_LIKE.build(OPENAI_LIKE.options.model_validate(wrong)))
