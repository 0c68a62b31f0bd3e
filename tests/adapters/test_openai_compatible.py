"""``openai-compatible``: OpenAICompatibleLLM against the scripted SSE server over loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage, ChatResponse, CompletionResponse
from pydantic import ValidationError

from harness.adapters.base import adapters
from harness.adapters.openai_compatible import OPENAI_COMPATIBLE
from harness.adapters.openai_compatible_llm import OpenAICompatibleLLM
from harness.adapters.openai_options import PLACEHOLDER_API_KEY, OpenAICompatibleOptions
from harness.errors import (
    AdapterError,
    AuthenticationError,
    ConfigurationError,
    ConnectionFailedError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)

from .test_openai_scripted_server import KEY, MODEL, Reply, ScriptedServer

TOKENS = ["Hello", ",", " world", "!"]


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def make_llm(server: ScriptedServer) -> Iterator[Callable[..., OpenAICompatibleLLM]]:
    """An OpenAICompatibleLLM on the scripted server; closed at teardown."""
    made: list[OpenAICompatibleLLM] = []

    def make(**overrides: Any) -> OpenAICompatibleLLM:
        kwargs: dict[str, Any] = {"model": MODEL, "api_base": server.v1, "api_key": KEY}
        llm = OpenAICompatibleLLM(**{**kwargs, **overrides})
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


async def _collect(stream: Any) -> list[Any]:
    return [response async for response in stream]


def stream_completion(llm: OpenAICompatibleLLM, prompt: str = "hi", **kwargs: Any) -> list[Any]:
    async def main() -> list[Any]:
        try:
            return await _collect(await llm.astream_complete(prompt, **kwargs))
        finally:
            await llm.aclose()

    return asyncio.run(main())


def stream_chat(llm: OpenAICompatibleLLM, messages: list[ChatMessage], **kwargs: Any) -> list[Any]:
    async def main() -> list[Any]:
        try:
            return await _collect(await llm.astream_chat(messages, **kwargs))
        finally:
            await llm.aclose()

    return asyncio.run(main())


def async_error(llm: OpenAICompatibleLLM, prompt: str = "hi") -> AdapterError:
    with pytest.raises(AdapterError) as info:
        stream_completion(llm, prompt)
    return info.value


# -- options and registration ---------------------------------------------------------------------


def test_registered_adapter_type() -> None:
    kind = adapters.get("openai-compatible")
    assert kind is OPENAI_COMPATIBLE
    assert kind.model_option == "model"
    assert kind.options is OpenAICompatibleOptions


def test_options_schema_lists_the_six_options_with_descriptions() -> None:
    schema = OpenAICompatibleOptions.model_json_schema()
    assert list(schema["properties"]) == [
        "model",
        "api_base",
        "api_key",
        "is_chat_model",
        "max_tokens",
        "timeout",
    ]
    assert schema["required"] == ["model", "api_base"]
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    assert prop["default"] == 60.0


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"model": "m", "api_base": "http://x/v1", "max_tokenz": 3}, "max_tokenz"),
        ({"model": "m", "api_base": "localhost:8000/v1"}, "api_base"),
        ({"model": "m", "api_base": "http://x/v1", "timeout": 0}, "timeout"),
        ({"model": "m", "api_base": "http://x/v1", "max_tokens": 0}, "max_tokens"),
        ({"model": "", "api_base": "http://x/v1"}, "model"),
        ({"api_base": "http://x/v1"}, "model"),
    ],
)
def test_bad_options_are_rejected(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        OpenAICompatibleOptions.model_validate(options)


def test_build_from_options_keeps_the_key_secret() -> None:
    options = OpenAICompatibleOptions.model_validate(
        {"model": "m", "api_base": "http://x/v1", "api_key": KEY, "is_chat_model": True}
    )
    llm = OPENAI_COMPATIBLE.build(options)
    assert isinstance(llm, OpenAICompatibleLLM)
    assert llm.model == "m" and llm.is_chat_model and llm.timeout == 60.0
    assert llm.api_key is not None and llm.api_key.get_secret_value() == KEY
    for text in (repr(llm), str(llm), llm.model_dump_json(), repr(options), str(llm.to_dict())):
        assert KEY not in text


def test_metadata() -> None:
    llm = OpenAICompatibleLLM(model="m", api_base="http://x/v1", max_tokens=64)
    meta = llm.metadata
    assert (meta.model_name, meta.is_chat_model, meta.num_output) == ("m", False, 64)
    assert meta.context_window == 3900
    assert OpenAICompatibleLLM(model="m", api_base="http://x/v1").metadata.num_output == 256
    assert llm.streaming_emulated is False


# -- streaming ------------------------------------------------------------------------------------


def test_completion_streams_one_delta_per_token(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    responses = stream_completion(make_llm(), "Say hello")
    assert all(isinstance(r, CompletionResponse) for r in responses)
    deltas = [r.delta for r in responses if r.delta]
    assert deltas == TOKENS
    assert [r.text for r in responses[:-1]] == ["Hello", "Hello,", "Hello, world", "Hello, world!"]
    last = responses[-1]
    assert last.delta == "" and last.text == "".join(deltas)
    usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
    assert last.raw == {"finish_reason": "stop", "usage": usage}
    assert last.additional_kwargs == {"finish_reason": "stop", **usage}
    # content chunks carry the server's chunk as raw
    assert responses[0].raw["choices"][0]["text"] == "Hello"


def test_completion_request_body_and_headers(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    stream_completion(
        make_llm(max_tokens=32), "Say hello", temperature=0.2, top_p=0.9, stop=["\n"], max_tokens=8
    )
    [request] = server.requests
    assert request.path == "/v1/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "model": MODEL,
        "prompt": "Say hello",
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 8,  # the call's value wins over the field's
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["\n"],
    }


def test_field_max_tokens_is_sent_and_none_options_are_dropped(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    stream_completion(make_llm(max_tokens=32), temperature=None)
    [body] = server.bodies()
    assert body["max_tokens"] == 32 and "temperature" not in body


def test_unknown_generation_option_is_a_configuration_error_before_any_request(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm()
    with pytest.raises(ConfigurationError, match=r"'temprature' \(did you mean 'temperature'\?\)"):
        stream_completion(llm, temprature=0.5)
    with pytest.raises(ConfigurationError, match="expected one of: max_tokens, stop"):
        llm.complete("hi", top_k=3)
    assert server.requests == []


def test_chat_model_completion_goes_to_chat_route_as_one_user_message(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    responses = stream_completion(make_llm(is_chat_model=True), "Say hello")
    assert [r.delta for r in responses if r.delta] == TOKENS
    assert responses[-1].raw["finish_reason"] == "stop"
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["messages"] == [{"role": "user", "content": "Say hello"}]
    assert "prompt" not in request.body


def test_astream_chat_yields_chat_responses_with_deltas(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    messages = [
        ChatMessage(role="system", content="Be terse."),
        ChatMessage(role="user", content="Say hello"),
    ]
    responses = stream_chat(make_llm(is_chat_model=True), messages, temperature=0)
    assert all(isinstance(r, ChatResponse) for r in responses)
    assert [r.delta for r in responses if r.delta] == TOKENS
    assert [r.message.content for r in responses][-2:] == ["Hello, world!"] * 2
    assert {r.message.role.value for r in responses} == {"assistant"}
    assert responses[-1].raw["usage"]["completion_tokens"] == 4
    assert responses[-1].additional_kwargs["total_tokens"] == 9
    [body] = server.bodies()
    assert body["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Say hello"},
    ]
    assert body["temperature"] == 0


def test_chat_on_a_completion_model_sends_the_formatted_prompt(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm(messages_to_prompt=lambda ms: " | ".join(m.content or "" for m in ms))
    responses = stream_chat(llm, [ChatMessage(role="user", content="a"), ChatMessage(content="b")])
    assert responses[-1].message.content == "Hello, world!"
    [request] = server.requests
    assert request.path == "/v1/completions" and request.body["prompt"] == "a | b"


def test_completion_to_prompt_applies_unless_formatted(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm(completion_to_prompt=lambda p: f"<s>{p}</s>")
    stream_completion(llm, "x")
    stream_completion(llm, "y", formatted=True)
    assert [b["prompt"] for b in server.bodies()] == ["<s>x</s>", "y"]


def test_stream_without_usage_has_none_in_raw(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(usage=False, finish_reason="length")
    last = stream_completion(make_llm())[-1]
    assert last.raw == {"finish_reason": "length", "usage": None}
    assert last.additional_kwargs == {"finish_reason": "length"}


def test_chat_stream_with_role_only_first_chunk_and_comments(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    frames = [
        b": keep-alive\n\n",
        b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"A"}}]}\r\n\r\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"B"},',
        b'"finish_reason":null}]}\n\ndata: {"choices":[{"index":0,"delta":{},',
        b'"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    ]
    server.default = Reply(frames=frames)
    responses = stream_completion(make_llm(is_chat_model=True))
    assert [r.delta for r in responses] == ["A", "B", ""]
    assert responses[-1].raw == {"finish_reason": "stop", "usage": None}


def test_finish_reason_without_done_is_accepted(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(done=False)
    responses = stream_completion(make_llm())
    assert responses[-1].text == "Hello, world!"


def test_first_delta_waits_for_the_first_token_and_tokens_are_not_buffered(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(first_delay_s=0.2, gap_s=0.1)
    arrivals: list[float] = []

    async def main() -> None:
        llm = make_llm()
        start = time.perf_counter()
        async for response in await llm.astream_complete("hi"):
            if response.delta:
                arrivals.append(time.perf_counter() - start)
        await llm.aclose()

    asyncio.run(main())
    assert len(arrivals) == 4
    assert arrivals[0] >= 0.2
    # each token is yielded when it arrives, not when the stream ends: the last three came
    # at least ~3 gaps after the first
    assert arrivals[-1] - arrivals[0] >= 0.25


def test_64_concurrent_streams_all_complete(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.hold_until_in_flight = 64  # each stream waits until 64 are open at once
    llm = make_llm()

    async def one(i: int) -> list[Any]:
        return await _collect(await llm.astream_complete(f"q{i}"))

    async def main() -> list[list[Any]]:
        try:
            return await asyncio.gather(*(one(i) for i in range(64)))
        finally:
            await llm.aclose()

    results = asyncio.run(main())
    assert all(r[-1].text == "Hello, world!" for r in results)
    assert server.wait_completed(64) == 64 and len(server.requests) == 64
    assert server.max_in_flight == 64
    assert sorted(b["prompt"] for b in server.bodies()) == sorted(f"q{i}" for i in range(64))


@pytest.mark.parametrize("chat", [False, True])
def test_llama_index_events_are_sent_when_a_handler_listens(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM], chat: bool
) -> None:
    from llama_index.core.instrumentation import root_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    class Recorder(BaseEventHandler):
        seen: list[Any] = []

        @classmethod
        def class_name(cls) -> str:
            return "Recorder"

        def handle(self, event: Any, **kwargs: Any) -> None:
            self.seen.append(event)

    recorder = Recorder()
    root_dispatcher.add_event_handler(recorder)
    try:
        if chat:
            responses = stream_chat(make_llm(), [ChatMessage(role="user", content="hi")])
        else:
            responses = stream_completion(make_llm())
    finally:
        root_dispatcher.event_handlers.remove(recorder)
    names = [type(e).__name__ for e in recorder.seen]
    kind = "Chat" if chat else "Completion"
    assert names == [f"LLM{kind}StartEvent"] + [f"LLM{kind}InProgressEvent"] * 5 + [
        f"LLM{kind}EndEvent"
    ]
    assert recorder.seen[-1].response.delta == "" and len(responses) == 5


# -- the other call styles ------------------------------------------------------------------------


def test_acomplete_and_achat_return_the_whole_text_with_usage(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm(is_chat_model=True)

    async def main() -> tuple[CompletionResponse, ChatResponse]:
        try:
            done = await llm.acomplete("hi")
            chat = await llm.achat([ChatMessage(role="user", content="hi")])
            return done, chat
        finally:
            await llm.aclose()

    done, chat = asyncio.run(main())
    assert done.text == "Hello, world!" and done.raw["usage"]["total_tokens"] == 9
    assert chat.message.content == "Hello, world!" and chat.raw["finish_reason"] == "stop"


def test_sync_methods_work_and_close_stops_their_loop_thread(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm()
    assert llm.complete("hi").text == "Hello, world!"
    chunks = list(llm.stream_complete("hi"))
    assert [c.delta for c in chunks if c.delta] == TOKENS
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "Hello, world!"
    chat_chunks = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    assert "".join(c.delta or "" for c in chat_chunks) == "Hello, world!"
    assert chat_chunks[-1].raw["usage"]["completion_tokens"] == 4
    assert server.wait_completed(4) == 4
    threads = {t.name for t in __import__("threading").enumerate()}
    assert "harness-openai-sync" in threads
    llm.close()
    threads = {t.name for t in __import__("threading").enumerate()}
    assert "harness-openai-sync" not in threads
    assert llm.complete("again").text == "Hello, world!"  # usable after close


def test_sync_methods_work_inside_a_running_loop(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm()

    async def main() -> str:
        return llm.complete("hi").text  # blocks this loop, runs on the private one

    assert asyncio.run(main()) == "Hello, world!"


def test_sync_errors_are_the_same_types(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(
        status=404, body={"error": {"message": "nope", "code": "model_not_found"}}
    )
    llm = make_llm()
    with pytest.raises(ModelNotFoundError, match="model_not_found: nope"):
        llm.complete("hi")
    with pytest.raises(ModelNotFoundError):
        list(llm.stream_chat([ChatMessage(role="user", content="hi")]))


def test_breaking_out_of_a_sync_stream_releases_it(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(gap_s=0.05)
    llm = make_llm()
    stream = llm.stream_complete("hi")
    assert next(stream).delta == "Hello"
    stream.close()
    assert llm.complete("hi").text == "Hello, world!"


def test_one_llm_serves_several_event_loops(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    llm = make_llm()

    async def once() -> str:
        return (await llm.acomplete("hi")).text

    assert asyncio.run(once()) == asyncio.run(once()) == "Hello, world!"
    assert len(llm._http.sessions()) <= 1  # the first loop's session was closed with it


# -- errors ---------------------------------------------------------------------------------------


def oai(message: str, **fields: str) -> dict[str, Any]:
    """An OpenAI-shaped error body."""
    return {"error": {"message": message, **fields}}


@pytest.mark.parametrize(
    ("status", "error_type", "body", "fragment"),
    [
        (400, InvalidRequestError, oai("bad temperature", type="invalid_request_error"),
         "invalid_request_error: bad temperature"),
        (401, AuthenticationError, oai("Incorrect API key", code="invalid_api_key"),
         "invalid_api_key: Incorrect API key"),
        (403, AuthenticationError, {"error": "forbidden"}, "forbidden"),
        (404, ModelNotFoundError, oai("no such model", code="model_not_found"),
         "model_not_found: no such model"),
        (422, InvalidRequestError, {"detail": [{"msg": "field required"}]}, "field required"),
        (500, ServerError, oai("boom", type="server_error"), "server_error: boom"),
        (502, ServerError, "<html>Bad Gateway</html>", "Bad Gateway"),
        (503, ServerError, oai("overloaded"), "overloaded"),
    ],
)  # fmt: skip
def test_status_maps_to_error_type(
    server: ScriptedServer,
    make_llm: Callable[..., OpenAICompatibleLLM],
    status: int,
    error_type: type[AdapterError],
    body: Any,
    fragment: str,
) -> None:
    server.default = Reply(status=status, body=body)
    error = async_error(make_llm())
    assert type(error) is error_type
    assert error.status == status
    assert f"completion with model '{MODEL}' failed: HTTP {status}" in str(error)
    assert fragment in str(error)
    assert KEY not in str(error)


def test_429_carries_retry_after(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(
        status=429,
        body={"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
        headers={"Retry-After": "7"},
    )
    error = async_error(make_llm())
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s == 7.0
    assert "(rate_limit_exceeded: Rate limit reached); retry after 7s" in str(error)


def test_key_is_masked_even_when_the_server_echoes_it(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(status=401, echo_auth=True)
    error = async_error(make_llm())
    assert isinstance(error, AuthenticationError)
    assert KEY not in str(error) and "Bearer ***" in str(error)
    assert "check the key (from api_key)" in str(error)


def test_key_falls_back_to_the_environment_then_to_a_placeholder(
    server: ScriptedServer,
    make_llm: Callable[..., OpenAICompatibleLLM],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123456")
    stream_completion(make_llm(api_key=None))
    monkeypatch.delenv("OPENAI_API_KEY")
    stream_completion(make_llm(api_key=None))
    server.default = Reply(status=401, body={"error": {"message": "key required"}})
    error = async_error(make_llm(api_key=None))
    auth = [r.headers["authorization"] for r in server.requests]
    assert auth == ["Bearer sk-from-env-123456"] + [f"Bearer {PLACEHOLDER_API_KEY}"] * 2
    assert "no api_key was given and OPENAI_API_KEY is not set" in str(error)


def test_malformed_event_data_is_a_server_error(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    ok = b'data: {"choices":[{"index":0,"text":"A"}]}\n\n'
    for bad in (b"data: {not json\n\n", b"data: [1, 2]\n\n", b'data: {"choices": [3]}\n\n'):
        server.default = Reply(frames=[ok, bad, b"data: [DONE]\n\n"])
        error = async_error(make_llm())
        assert isinstance(error, ServerError), bad
        assert "malformed event stream after 1 tokens" in str(error)


def test_error_event_mid_stream(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    ok = b'data: {"choices":[{"index":0,"text":"A"}]}\n\n'
    error_event = b'data: {"error":{"message":"engine died","type":"server_error","code":503}}\n\n'
    server.default = Reply(frames=[ok, error_event])
    received: list[str] = []

    async def main() -> None:
        llm = make_llm()
        try:
            async for response in await llm.astream_complete("hi"):
                received.append(response.delta)
        finally:
            await llm.aclose()

    with pytest.raises(ServerError, match=r"mid-stream, after 1 tokens.*engine died") as info:
        asyncio.run(main())
    assert received == ["A"] and info.value.status == 503


def test_connection_dropped_mid_stream(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(drop_after=2)
    received: list[str] = []

    async def main() -> None:
        llm = make_llm()
        try:
            async for response in await llm.astream_complete("hi"):
                received.append(response.delta)
        finally:
            await llm.aclose()

    with pytest.raises(ConnectionFailedError, match="lost mid-stream after 2 tokens"):
        asyncio.run(main())
    assert received == ["Hello", ","]


def test_stream_ending_without_finish_or_done_is_a_connection_failure(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(finish_reason=None, usage=False, done=False)
    error = async_error(make_llm())
    assert isinstance(error, ConnectionFailedError)
    assert "ended after 4 tokens without a finish_reason or [DONE]" in str(error)


def test_timeout_bounds_the_request_against_a_hanging_server(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(hang_s=30)
    start = time.perf_counter()
    error = async_error(make_llm(timeout=0.3))
    assert isinstance(error, RequestTimeoutError)
    assert "no complete answer within 0.3s" in str(error)
    assert time.perf_counter() - start < 10  # the hang is 30 s


def test_timeout_bounds_the_whole_stream_not_each_read(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.default = Reply(gap_s=0.2)  # each read is quick enough; the whole is not
    error = async_error(make_llm(timeout=0.5))
    assert isinstance(error, RequestTimeoutError)
    assert "tokens had arrived" in str(error)


def test_connection_refused(make_llm: Callable[..., OpenAICompatibleLLM]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = async_error(make_llm(api_base=f"http://127.0.0.1:{port}/v1"))
    assert isinstance(error, ConnectionFailedError)
    assert f"cannot connect to http://127.0.0.1:{port}/v1" in str(error)


# -- aprepare -------------------------------------------------------------------------------------


def prepare(llm: OpenAICompatibleLLM) -> None:
    async def main() -> None:
        try:
            await llm.aprepare()
        finally:
            await llm.aclose()

    asyncio.run(main())


def test_aprepare_checks_the_model_is_listed(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    prepare(make_llm())
    assert [r.path for r in server.requests] == ["/v1/models"]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    with pytest.raises(ModelNotFoundError) as info:
        prepare(make_llm(model="scripted-7c"))
    message = str(info.value)
    assert "model 'scripted-7c' is not served at" in message
    assert "(did you mean 'scripted-7b'?); available: other-model, scripted-7b" in message


def test_aprepare_skips_the_check_when_the_server_does_not_list_models(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.models_status = 404
    prepare(make_llm(model="anything"))


def test_aprepare_reports_a_refused_key(
    server: ScriptedServer, make_llm: Callable[..., OpenAICompatibleLLM]
) -> None:
    server.models_status = 401
    with pytest.raises(AuthenticationError, match="listing the models at .* HTTP 401"):
        prepare(make_llm())
