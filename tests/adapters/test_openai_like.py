"""``openai-like``: llama-index's OpenAILike built from the options, against the scripted server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.llms.openai_like import OpenAILike

from harness.adapters.base import adapters
from harness.adapters.openai_compatible import OPENAI_COMPATIBLE
from harness.adapters.openai_like import OPENAI_LIKE
from harness.adapters.openai_options import PLACEHOLDER_API_KEY
from harness.errors import (
    AdapterError,
    AuthenticationError,
    ConnectionFailedError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)

from .test_openai_scripted_server import KEY, MODEL, Reply, ScriptedServer


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def make_llm(server: ScriptedServer) -> Iterator[Callable[..., Any]]:
    """An openai-like LLM built through the adapter type, as a suite would; closed at teardown."""
    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        options = {"model": MODEL, "api_base": server.v1, "api_key": KEY, **overrides}
        llm = OPENAI_LIKE.build(OPENAI_LIKE.options.model_validate(options))
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


def run(llm: Any, coro: Callable[[], Any]) -> Any:
    async def main() -> Any:
        try:
            return await coro()
        finally:
            await llm.aclose()

    return asyncio.run(main())


def test_registered_with_the_same_options_as_openai_compatible() -> None:
    assert adapters.get("openai-like") is OPENAI_LIKE
    assert OPENAI_LIKE.options is OPENAI_COMPATIBLE.options
    assert OPENAI_LIKE.model_option == "model"


def test_built_from_the_options(server: ScriptedServer, make_llm: Callable[..., Any]) -> None:
    llm = make_llm(is_chat_model=True, max_tokens=64, timeout=12.5)
    assert isinstance(llm, OpenAILike)
    assert (llm.model, llm.api_base, llm.api_key) == (MODEL, server.v1, KEY)
    assert (llm.is_chat_model, llm.max_tokens, llm.timeout) == (True, 64, 12.5)
    assert llm.is_function_calling_model is False
    assert llm.max_retries == 0
    assert llm.context_window == 3900 == llm.metadata.context_window
    assert llm.metadata.model_name == MODEL
    assert llm.streaming_emulated is False
    assert KEY not in repr(llm) and KEY not in str(llm)


def test_key_falls_back_to_the_environment_then_to_a_placeholder(
    make_llm: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key-424242")
    assert make_llm(api_key=None).api_key == "sk-env-key-424242"
    monkeypatch.delenv("OPENAI_API_KEY")
    assert make_llm(api_key=None).api_key == PLACEHOLDER_API_KEY


def test_astream_complete_yields_one_delta_per_token(
    server: ScriptedServer, make_llm: Callable[..., Any]
) -> None:
    llm = make_llm()

    async def collect() -> list[Any]:
        return [r async for r in await llm.astream_complete("Say hello", temperature=0.3)]

    responses = run(llm, collect)
    deltas = [r.delta for r in responses if r.delta]
    assert deltas == ["Hello", ",", " world", "!"]
    assert responses[-1].text == "Hello, world!"
    [request] = server.requests
    assert request.path == "/v1/completions"
    assert request.body["prompt"] == "Say hello" and request.body["stream"] is True
    assert request.body["temperature"] == 0.3
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_astream_chat_against_the_chat_route(
    server: ScriptedServer, make_llm: Callable[..., Any]
) -> None:
    llm = make_llm(is_chat_model=True, max_tokens=16)

    async def collect() -> list[Any]:
        messages = [ChatMessage(role="user", content="Say hello")]
        return [r async for r in await llm.astream_chat(messages)]

    responses = run(llm, collect)
    assert "".join(r.delta or "" for r in responses) == "Hello, world!"
    assert responses[-1].message.content == "Hello, world!"
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["messages"] == [{"role": "user", "content": "Say hello"}]
    assert request.body["max_tokens"] == 16


def test_sync_paths(server: ScriptedServer, make_llm: Callable[..., Any]) -> None:
    llm = make_llm()
    assert llm.complete("hi").text == "Hello, world!"
    assert "".join(r.delta for r in llm.stream_complete("hi")) == "Hello, world!"
    chat = make_llm(is_chat_model=True)
    assert chat.chat([ChatMessage(role="user", content="hi")]).message.content == "Hello, world!"
    stream = chat.stream_chat([ChatMessage(role="user", content="hi")])
    assert "".join(r.delta or "" for r in stream) == "Hello, world!"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (404, ModelNotFoundError),
        (422, InvalidRequestError),
        (500, ServerError),
        (503, ServerError),
    ],
)
@pytest.mark.parametrize("style", ["astream_complete", "complete"])
def test_status_maps_to_error_type(
    server: ScriptedServer,
    make_llm: Callable[..., Any],
    status: int,
    error_type: type[AdapterError],
    style: str,
) -> None:
    server.default = Reply(status=status, body={"error": {"message": f"E{status}", "code": "c"}})
    llm = make_llm()

    async def collect() -> list[Any]:
        return [r async for r in await llm.astream_complete("hi")]

    with pytest.raises(AdapterError) as info:
        if style == "complete":
            llm.complete("hi")
        else:
            run(llm, collect)
    assert type(info.value) is error_type and info.value.status == status
    assert f"HTTP {status} (c: E{status})" in str(info.value)


def test_429_retry_after_and_the_key_never_in_messages(
    server: ScriptedServer, make_llm: Callable[..., Any]
) -> None:
    server.queue.append(
        Reply(status=429, body={"error": {"message": "slow"}}, headers={"Retry-After": "3"})
    )
    server.queue.append(Reply(status=401, echo_auth=True))
    llm = make_llm()
    with pytest.raises(RateLimitedError) as limited:
        llm.complete("hi")
    assert limited.value.retry_after_s == 3.0
    with pytest.raises(AuthenticationError) as denied:
        llm.complete("hi")
    assert "Bearer ***" in str(denied.value) and KEY not in str(denied.value)


def test_connection_refused_and_timeout(
    server: ScriptedServer, make_llm: Callable[..., Any]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionFailedError, match="cannot connect"):
        make_llm(api_base=f"http://127.0.0.1:{port}/v1").complete("hi")
    server.default = Reply(hang_s=30)
    with pytest.raises(RequestTimeoutError):
        make_llm(timeout=0.3).complete("hi")


def test_drop_mid_stream_is_a_connection_failure(
    server: ScriptedServer, make_llm: Callable[..., Any]
) -> None:
    server.default = Reply(drop_after=2)
    llm = make_llm()
    received: list[str] = []

    async def collect() -> None:
        async for response in await llm.astream_complete("hi"):
            received.append(response.delta)

    with pytest.raises(ConnectionFailedError, match="lost"):
        run(llm, collect)
    assert received == ["Hello", ","]


def test_aprepare_builds_the_sdk_client_and_aclose_drops_it(make_llm: Callable[..., Any]) -> None:
    llm = make_llm()

    async def main() -> tuple[Any, Any]:
        await llm.aprepare()
        built = llm._aclient
        await llm.aclose()
        return built, llm._aclient

    built, after = asyncio.run(main())
    assert built is not None and after is None
