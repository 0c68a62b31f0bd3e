"""The OpenAI routes through the official ``openai`` SDK and llama-index's ``OpenAILike``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import openai
import pytest
from llama_index.llms.openai_like import OpenAILike

from harness.emulator import EmulatorConfig, EmulatorServer

from .openai_support import FIVE, KEY, openai_config


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(openai_config())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.root_url + "/v1", api_key=KEY, max_retries=0) as c:
        yield c


def test_models_list(client: openai.OpenAI, server: EmulatorServer) -> None:
    models = client.models.list().data
    assert models[0].id == "base-a"
    assert models[0].owned_by == "harness-emulator"
    assert [m.id for m in models[1:]] == [m.model_id for m in server.config.models[1:]]


def test_completion(client: openai.OpenAI) -> None:
    completion = client.completions.create(model="base-a", prompt="count")
    assert completion.choices[0].text == FIVE
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (1, 5)
    assert completion.usage.total_tokens == 6


def test_chat_completion_with_length_finish(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="Base A", messages=[{"role": "user", "content": "count"}], max_tokens=2
    )
    choice = completion.choices[0]
    assert (choice.message.role, choice.message.content) == ("assistant", "one two")
    assert choice.finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 2


def test_stream_completion_one_token_per_chunk(client: openai.OpenAI) -> None:
    chunks = list(client.completions.create(model="base-a", prompt="count", stream=True))
    assert [c.choices[0].text for c in chunks] == ["one", " two", " three", " four", " five", ""]
    assert [c.choices[0].finish_reason for c in chunks][-2:] == [None, "stop"]


def test_stream_chat_with_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="base-a",
            messages=[{"role": "user", "content": "count"}],
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=4,
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three four"
    assert chunks[-2].choices[0].finish_reason == "length"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (1, 4)


def test_async_client_streams_and_completes(server: EmulatorServer) -> None:
    async def run() -> tuple[list[str], str]:
        async with openai.AsyncOpenAI(
            base_url=server.openai_base_url, api_key=KEY, max_retries=0
        ) as c:
            deltas = [
                chunk.choices[0].delta.content or ""
                async for chunk in await c.chat.completions.create(
                    model="base-a", messages=[{"role": "user", "content": "count"}], stream=True
                )
            ]
            done = await c.completions.create(model="base-a", prompt="What is 2+2?")
            return deltas, done.choices[0].text

    deltas, text = asyncio.run(run())
    assert deltas == ["one", " two", " three", " four", " five", ""]
    assert text == "4"


def test_errors_map_to_the_sdk_exceptions(client: openai.OpenAI, server: EmulatorServer) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        client.completions.create(model="gpt-9", prompt="x")
    assert not_found.value.code == "model_not_found"
    assert not_found.value.param == "model"
    with openai.OpenAI(base_url=server.openai_base_url, api_key="wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as denied:
            bad.models.list()
    assert denied.value.code == "invalid_api_key"
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(
            model="flaky", messages=[{"role": "user", "content": "x"}], stream=True
        )
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError):
        client.completions.create(model="failing", prompt="x")
    with pytest.raises(openai.BadRequestError) as bad_request:
        client.completions.create(model="base-a", prompt="x", n=2)
    assert bad_request.value.param == "n"


def test_a_cut_stream_raises_in_the_sdk(client: openai.OpenAI) -> None:
    texts: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        for chunk in client.completions.create(model="cut", prompt="sdk", stream=True):
            texts.append(chunk.choices[0].text)
    assert texts == ["one", " two"]


@pytest.mark.parametrize("is_chat_model", [False, True], ids=["completion", "chat"])
def test_llama_index_openai_like_streams_one_delta_per_token(
    server: EmulatorServer, is_chat_model: bool
) -> None:
    llm = OpenAILike(
        model="base-a",
        api_base=server.root_url + "/v1",
        api_key=KEY,  # this config fixes the key; see the next test for api_key="x"
        is_chat_model=is_chat_model,
        max_retries=0,
    )
    responses = list(llm.stream_complete("count"))
    deltas = [r.delta for r in responses]
    # one delta per token, then the finish chunk's empty delta
    assert deltas == ["one", " two", " three", " four", " five", ""]
    assert responses[-1].text == FIVE
    assert llm.complete("What is 2+2?").text == "4"


def test_llama_index_async_stream_against_an_open_emulator(
    start_server: Callable[[EmulatorConfig], EmulatorServer],
) -> None:
    srv = start_server(openai_config(access_token=None))  # any key, or none, is accepted
    llm = OpenAILike(model="base-a", api_base=srv.openai_base_url, api_key="x", is_chat_model=True)

    async def run() -> list[str]:
        return [r.delta or "" async for r in await llm.astream_complete("count")]

    assert asyncio.run(run()) == ["one", " two", " three", " four", " five", ""]
