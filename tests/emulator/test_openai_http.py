"""The OpenAI-compatible routes over raw HTTP: shapes, SSE framing, errors, faults and stats."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest

from harness.emulator import EmulatorConfig, EmulatorServer

from .openai_support import BEARER, KEY, openai_config, stream
from .support import call


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    srv = EmulatorServer(openai_config())
    srv.start()
    yield srv
    srv.stop()


def post(
    server: EmulatorServer, path: str, body: Any, headers: dict[str, str] | None = None
) -> Any:
    return call(
        "POST", f"{server.openai_base_url}{path}", body, BEARER if headers is None else headers
    )


def complete(server: EmulatorServer, prompt: str, **options: Any) -> Any:
    return post(server, "/completions", {"model": "base-a", "prompt": prompt, **options})


def chat(
    server: EmulatorServer, messages: list[dict[str, Any]], model: str = "base-a", **options: Any
) -> Any:
    return post(server, "/chat/completions", {"model": model, "messages": messages, **options})


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_models_list_shape(server: EmulatorServer) -> None:
    reply = call("GET", f"{server.openai_base_url}/models", None, BEARER)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json
    assert body["object"] == "list"
    cfg = server.config
    assert body["data"][0] == {
        "id": "base-a",
        "object": "model",
        "created": 1704067200,
        "owned_by": "harness-emulator",
    }
    assert [m["id"] for m in body["data"][1:]] == [m.model_id for m in cfg.models[1:]]
    assert {tuple(sorted(m)) for m in body["data"]} == {("created", "id", "object", "owned_by")}


def test_completion_shape_and_usage(server: EmulatorServer) -> None:
    reply = complete(server, "count  please")
    assert reply.status == 200
    body = reply.json
    assert body["id"].startswith("cmpl-")
    assert isinstance(body["created"], int)
    assert {k: body[k] for k in ("object", "model", "choices", "usage")} == {
        "object": "text_completion",
        "model": "base-a",
        "choices": [
            {
                "index": 0,
                "text": "default from Base A to 'count  please'",
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 2, "completion_tokens": 7, "total_tokens": 9},
    }


def test_chat_completion_shape_and_usage_counts_every_message(server: EmulatorServer) -> None:
    messages = [{"role": "system", "content": "be very terse"}, *user("What is 2+2?")]
    body = chat(server, messages).json
    assert body["id"].startswith("chatcmpl-")
    assert body["object"] == "chat.completion"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "4"},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 7}


@pytest.mark.parametrize("key", ["base-a", "Base A", "id"])
def test_model_is_addressed_by_slug_name_or_id(server: EmulatorServer, key: str) -> None:
    model = server.config.model("base-a").model_id if key == "id" else key
    body = post(server, "/completions", {"model": model, "prompt": "What is 2+2?"}).json
    assert body["choices"][0]["text"] == "4"
    assert body["model"] == "base-a"  # echoed as /v1/models lists it


def test_max_tokens_cuts_by_whitespace_tokens_and_says_length(server: EmulatorServer) -> None:
    body = complete(server, "count", max_tokens=2).json
    assert body["choices"][0]["text"] == "one two"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 2
    assert complete(server, "count", max_tokens=5).json["choices"][0]["finish_reason"] == "stop"
    cut = chat(server, user("count"), max_completion_tokens=1).json["choices"][0]
    assert (cut["message"]["content"], cut["finish_reason"]) == ("one", "length")


def test_stop_sequences_cut_before_the_earliest_match(server: EmulatorServer) -> None:
    choice = complete(server, "sentence", stop=[" Bye", "."]).json["choices"][0]
    assert (choice["text"], choice["finish_reason"]) == ("Hello world", "stop")


def test_chat_rules_match_the_last_user_message_by_default(server: EmulatorServer) -> None:
    messages = [
        {"role": "system", "content": "ignored"},
        *user("earlier"),
        {"role": "assistant", "content": "ok"},
        *user("What is 2+2?"),
    ]
    assert chat(server, messages).json["choices"][0]["message"]["content"] == "4"


def test_chat_prompt_transcript_matches_the_whole_conversation(server: EmulatorServer) -> None:
    messages = [{"role": "system", "content": "Be kind."}, *user("hello")]
    reply = chat(server, messages, model="scripted").json["choices"][0]["message"]["content"]
    assert reply == "Be kind.|hello"
    two_turns = [*user("a"), {"role": "assistant", "content": "b"}]
    content = chat(server, two_turns, model="scripted").json["choices"][0]["message"]["content"]
    assert content == "[user: a\nassistant: b]"


# -- streaming ------------------------------------------------------------------------------


def test_stream_completion_sse_framing_is_exact(server: EmulatorServer) -> None:
    sse = stream(
        f"{server.openai_base_url}/completions",
        {"model": "base-a", "prompt": "count", "stream": True},
    )
    assert sse.status == 200
    assert sse.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert sse.headers["Cache-Control"] == "no-cache"
    assert sse.error is None
    assert sse.body.endswith(b"}\n\ndata: [DONE]\n\n")
    # every event is one `data: <compact JSON>` line; nothing else on the wire
    assert sse.body == b"".join(e + b"\n\n" for e in sse.events)
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in sse.events)
    chunks = sse.chunks
    assert len(chunks) == 6  # five tokens, then the finish chunk; no usage unless asked
    first = chunks[0]
    assert first["id"].startswith("cmpl-") and first["object"] == "text_completion"
    assert all(
        (c["id"], c["created"], c["model"], c["object"])
        == (first["id"], first["created"], "base-a", "text_completion")
        for c in chunks
    )
    assert [c["choices"] for c in chunks] == [
        [{"index": 0, "text": t, "logprobs": None, "finish_reason": None}]
        for t in ["one", " two", " three", " four", " five"]
    ] + [[{"index": 0, "text": "", "logprobs": None, "finish_reason": "stop"}]]
    assert sse.events[-1] == b"data: [DONE]"
    assert sse.events[0] == b"data: " + json.dumps(first, separators=(",", ":")).encode()


def test_stream_chat_first_chunk_carries_the_role_and_deltas_join(server: EmulatorServer) -> None:
    sse = stream(
        f"{server.openai_base_url}/chat/completions",
        {
            "model": "base-a",
            "messages": user("spaced"),
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    chunks = sse.chunks
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    deltas = [c["choices"][0]["delta"] for c in chunks[:-2]]
    assert deltas == [
        {"role": "assistant", "content": "  lead"},
        {"content": "\n\ntrail  "},
    ]
    assert "".join(d["content"] for d in deltas) == "  lead\n\ntrail  "
    assert chunks[-2]["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    ]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    assert sse.events[-1] == b"data: [DONE]"


def test_stream_length_finish_and_usage(server: EmulatorServer) -> None:
    sse = stream(
        f"{server.openai_base_url}/completions",
        {
            "model": "base-a",
            "prompt": ["count"],
            "stream": True,
            "max_tokens": 3,
            "stream_options": {"include_usage": True},
        },
    )
    chunks = sse.chunks
    assert "".join(c["choices"][0]["text"] for c in chunks[:-1]) == "one two three"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize(
    ("path", "extra", "expected"),
    [
        (
            "/completions",
            {"prompt": "nothing"},
            [[{"index": 0, "text": "", "logprobs": None, "finish_reason": "stop"}]],
        ),
        (
            "/chat/completions",
            {"messages": user("nothing")},
            [
                [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                ],
                [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
            ],
        ),
    ],
    ids=["completion", "chat"],
)
def test_empty_answer_streams(
    server: EmulatorServer, path: str, extra: dict[str, Any], expected: Any
) -> None:
    sse = stream(f"{server.openai_base_url}{path}", {"model": "base-a", "stream": True, **extra})
    assert [c["choices"] for c in sse.chunks] == expected
    assert sse.events[-1] == b"data: [DONE]"


def test_faults_are_answered_before_streaming_starts(server: EmulatorServer) -> None:
    url = f"{server.openai_base_url}/chat/completions"
    limited = stream(url, {"model": "flaky", "messages": user("x"), "stream": True})
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["Content-Type"].startswith("application/json")
    assert json.loads(limited.body)["error"]["code"] == "rate_limit_exceeded"
    failed = stream(url, {"model": "failing", "messages": user("x"), "stream": True})
    assert failed.status == 500
    assert json.loads(failed.body)["error"]["type"] == "server_error"


def test_disconnect_cuts_a_stream_after_half_its_tokens(
    start_server: Callable[[EmulatorConfig], EmulatorServer],
) -> None:
    srv = start_server(openai_config())
    sse = stream(
        f"{srv.openai_base_url}/completions", {"model": "cut", "prompt": "x", "stream": True}
    )
    assert sse.status == 200
    assert isinstance(sse.error, aiohttp.ClientPayloadError)
    assert [c["choices"][0]["text"] for c in sse.chunks] == ["one", " two"]
    assert b"[DONE]" not in sse.body
    stats = srv.stats()
    assert stats["disconnected"] == 1
    assert stats["by_status"] == {"200": 1}


def test_disconnect_without_stream_closes_with_no_response(
    start_server: Callable[[EmulatorConfig], EmulatorServer],
) -> None:
    srv = start_server(openai_config())
    for url, body in [
        (f"{srv.openai_base_url}/completions", {"model": "cut", "prompt": "x"}),
        (f"{srv.base_url}/models/{srv.config.model('cut').model_id}/complete", {"query": "x"}),
    ]:
        start = time.perf_counter()
        with pytest.raises(OSError):  # http.client.RemoteDisconnected
            call("POST", url, body, {**BEARER, "x-gradient-workspace-id": "w"})
        assert time.perf_counter() - start >= 0.030  # cut where token 3 of 5 would stream
    stats = srv.stats()
    assert stats["disconnected"] == 2
    assert stats["by_status"] == {"0": 2}
    assert stats["by_route"] == {"complete": 1, "v1_completions": 1}


@pytest.mark.parametrize(
    ("model", "expected"), [("stuck", 503), ("slow", 200)], ids=["hang", "mid-stream"]
)
def test_streams_are_released_at_stop(model: str, expected: int) -> None:
    srv = EmulatorServer(openai_config())
    srv.start()
    outcome: list[Any] = []

    def request() -> None:
        body = {"model": model, "prompt": "q", "stream": True}
        outcome.append(stream(f"{srv.openai_base_url}/completions", body))

    worker = threading.Thread(target=request)
    worker.start()
    deadline = time.monotonic() + 30
    while srv.stats()["in_flight"] == 0:
        assert time.monotonic() < deadline, "the request never reached the emulator"
        time.sleep(0.01)
    time.sleep(0.1)  # "slow": its first token is out (20 ms), the second is due at 520 ms
    srv.stop()
    worker.join(30)
    assert not worker.is_alive()
    sse = outcome[0]
    assert sse.status == expected
    assert srv.stats()["by_status"] == {str(expected): 1}
    if expected == 503:
        assert json.loads(sse.body)["error"]["code"] == "service_unavailable"
    else:  # the stream ends unfinished after its first token: no final chunk, no [DONE]
        assert isinstance(sse.error, aiohttp.ClientPayloadError)
        assert [c["choices"][0]["text"] for c in sse.chunks] == ["a"]
        assert b"[DONE]" not in sse.body


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/completions", {"prompt": "x"}, "model"),
        ("/completions", {"model": "base-a", "prompt": "x", "n": 2}, "n"),
        ("/completions", {"model": "base-a", "prompt": "x", "max_tokens": 0}, "max_tokens"),
        ("/chat/completions", {"model": "base-a", "messages": []}, "messages"),
        (
            "/chat/completions",
            {"model": "base-a", "messages": [{"role": "x", "content": "y"}]},
            "messages[0].role",
        ),
    ],
)
def test_bad_body_is_400_naming_the_param(
    server: EmulatorServer, path: str, body: Any, param: str
) -> None:
    reply = post(server, path, body)
    assert reply.status == 400
    error = reply.json["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)


def test_invalid_json_is_400(server: EmulatorServer) -> None:
    reply = call("POST", f"{server.openai_base_url}/completions", headers=BEARER, raw=b"{nope")
    assert reply.status == 400
    assert "not valid JSON" in reply.json["error"]["message"]


def test_unknown_model_is_404_model_not_found(server: EmulatorServer) -> None:
    reply = post(server, "/completions", {"model": "gpt-9", "prompt": "x"})
    assert reply.status == 404
    assert reply.json["error"] == {
        "message": "the model 'gpt-9' does not exist; GET /v1/models lists them",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "missing or malformed"),
        ({"Authorization": KEY}, "missing or malformed"),
        ({"Authorization": "Bearer "}, "missing or malformed"),
        ({"Authorization": "Bearer wrong-key"}, "incorrect API key"),
    ],
)
def test_auth_is_bearer_only_and_401_in_openai_shape(
    server: EmulatorServer, headers: dict[str, str], fragment: str
) -> None:
    for method, path, body in [
        ("GET", "/models", None),
        ("POST", "/completions", {"model": "base-a", "prompt": "x"}),
        ("POST", "/chat/completions", {"model": "base-a", "messages": user("x")}),
    ]:
        reply = call(method, f"{server.openai_base_url}{path}", body, headers)
        assert reply.status == 401, path
        assert reply.json["error"]["code"] == "invalid_api_key"
        assert fragment in reply.json["error"]["message"]
        assert KEY not in reply.text and "wrong-key" not in reply.text
    # no workspace header is needed on the OpenAI API
    assert call("GET", f"{server.openai_base_url}/models", None, BEARER).status == 200


def test_no_credentials_needed_when_the_config_fixes_no_token(
    start_server: Callable[[EmulatorConfig], EmulatorServer],
) -> None:
    srv = start_server(openai_config(access_token=None))
    assert call("GET", f"{srv.openai_base_url}/models").status == 200
    reply = call(
        "POST", f"{srv.openai_base_url}/completions", {"model": "base-a", "prompt": "What is 2+2?"}
    )
    assert reply.json["choices"][0]["text"] == "4"


def test_rate_limit_server_error_and_broken_template(server: EmulatorServer) -> None:
    limited = post(server, "/completions", {"model": "flaky", "prompt": "x"})
    assert (limited.status, limited.headers["Retry-After"]) == (429, "7")
    assert limited.json["error"]["type"] == "requests"
    failed = post(server, "/chat/completions", {"model": "failing", "messages": user("x")})
    assert (failed.status, failed.json["error"]["type"]) == (500, "server_error")
    broken = complete(server, "broken")
    assert broken.status == 500
    assert "responses[5].answer" in broken.json["error"]["message"]


def test_unknown_v1_route_is_an_openai_404(server: EmulatorServer) -> None:
    reply = call("GET", f"{server.openai_base_url}/embeddings", None, BEARER)
    assert reply.status == 404
    assert reply.json["error"]["message"] == "no such route: GET /v1/embeddings"
    assert reply.json["error"]["code"] == "unknown_url"


def test_stats_count_the_openai_routes(
    start_server: Callable[[EmulatorConfig], EmulatorServer],
) -> None:
    srv = start_server(openai_config())
    model_id = srv.config.model("base-a").model_id
    call("GET", f"{srv.openai_base_url}/models", None, BEARER)
    post(srv, "/completions", {"model": "base-a", "prompt": "x"})
    stream(
        f"{srv.openai_base_url}/chat/completions",
        {"model": "base-a", "messages": user("x"), "stream": True},
    )
    post(srv, "/chat/completions", {"model": "base-a", "messages": []})
    post(srv, "/completions", {"model": "nope", "prompt": "x"})
    call("GET", f"{srv.openai_base_url}/models")
    stats = srv.stats()
    assert stats["requests"] == 6
    assert stats["in_flight"] == 0
    assert stats["by_route"] == {"v1_chat_completions": 2, "v1_completions": 2, "v1_models": 2}
    assert stats["by_status"] == {"200": 3, "400": 1, "401": 1, "404": 1}
    assert stats["by_model"] == {model_id: {"200": 2}}
