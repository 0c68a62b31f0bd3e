"""A scripted OpenAI-compatible SSE server for the adapter tests, and proof that it is faithful.

``ScriptedServer`` is an aiohttp app in a thread on 127.0.0.1:0. Each request to
``/v1/completions`` or ``/v1/chat/completions`` gets the next queued :class:`Reply` (or the
default one): OpenAI-shaped chunks, one token per event, or exact frames, an error status, a
hang, a mid-stream disconnect. It records every request and counts streams in flight.
The tests at the bottom check it against the real ``openai`` SDK, so that the other test
modules test our adapters against something a real client accepts.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from aiohttp import web

KEY = "sk-test-Vb27TopSecretOpenAIKey-9931"
MODEL = "scripted-7b"


@dataclass
class Reply:
    """How the server answers one generation request."""

    tokens: list[str] = field(default_factory=lambda: ["Hello", ",", " world", "!"])
    finish_reason: str | None = "stop"
    usage: bool = True  # send the usage chunk when the request asks for it
    done: bool = True  # end with data: [DONE]
    frames: list[bytes] | None = None  # exact bytes, one write each, instead of the above
    status: int = 200
    body: Any = None  # the JSON body of an error status
    headers: dict[str, str] = field(default_factory=dict)
    first_delay_s: float = 0.0  # before the first token (after the headers)
    gap_s: float = 0.0  # between tokens
    hang_s: float = 0.0  # before the response headers
    drop_after: int | None = None  # close the connection after this many token frames
    echo_auth: bool = False  # put the Authorization header into the error message


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedServer:
    """The server; ``with ScriptedServer() as server:`` starts it, ``server.v1`` is api_base."""

    def wait_completed(self, n: int, timeout_s: float = 10.0) -> int:
        """``completed`` once it reaches ``n``: a client may finish reading before the server's
        handler has returned from its last write, so the count can trail by a moment."""
        deadline = time.monotonic() + timeout_s
        while self.completed < n and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.completed

    def __init__(self) -> None:
        self.default = Reply()
        self.queue: list[Reply] = []
        self.requests: list[Recorded] = []
        self.models: list[str] = [MODEL, "other-model"]
        self.models_status = 200
        self.completed = 0  # streams written to the end
        self.in_flight = 0
        self.max_in_flight = 0
        self.hold_until_in_flight = 0  # hold each stream until this many are in flight (≤10 s)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self._enough: asyncio.Event | None = None
        self.port = 0

    @property
    def v1(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests if r.path != "/v1/models"]

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/completions", self._generate)
        app.router.add_post("/v1/chat/completions", self._generate)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _stop(self) -> None:
        self._release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def _record(self, request: web.Request, body: Any) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Recorded(request.path, headers, body))

    async def _models(self, request: web.Request) -> web.Response:
        self._record(request, None)
        if self.models_status != 200:
            return web.json_response(
                {"error": {"message": "no listing here", "type": "x"}}, status=self.models_status
            )
        data = [{"id": m, "object": "model", "owned_by": "tests"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self._record(request, body)
        reply = self.queue.pop(0) if self.queue else self.default
        if reply.hang_s:
            await self._sleep(reply.hang_s)
        if reply.status != 200:
            payload = reply.body
            if reply.echo_auth:
                payload = {"error": {"message": f"bad key {request.headers.get('Authorization')}"}}
            return web.json_response(payload, status=reply.status, headers=reply.headers)
        if not body.get("stream"):
            self.completed += 1
            return web.json_response(
                _whole(body, reply, request.path.endswith("/chat/completions"))
            )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._stream(request, body, reply)
        finally:
            self.in_flight -= 1

    async def _stream(self, request: web.Request, body: Any, reply: Reply) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if self.hold_until_in_flight:
            if self._enough is None:
                self._enough = asyncio.Event()
            if self.in_flight >= self.hold_until_in_flight:
                self._enough.set()
            await asyncio.wait_for(self._enough.wait(), 10)
        chat = request.path.endswith("/chat/completions")
        frames = reply.frames if reply.frames is not None else _frames(body, reply, chat)
        for i, frame in enumerate(frames):
            if i == reply.drop_after:
                assert request.transport is not None
                request.transport.close()
                return response
            delay = reply.first_delay_s if i == 0 else reply.gap_s
            if delay and (reply.frames is not None or i < len(reply.tokens)):
                await self._sleep(delay)
            await response.write(frame)
        await response.write_eof()
        self.completed += 1
        return response

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._release.wait(), seconds)
        except asyncio.TimeoutError:
            pass


def _frames(body: dict[str, Any], reply: Reply, chat: bool) -> list[bytes]:
    """OpenAI's chunk shapes: one event per token, then finish, usage and [DONE]."""
    head = {"id": "cmpl-1", "created": 0, "model": body.get("model")}
    head["object"] = "chat.completion.chunk" if chat else "text_completion"

    def choice(token: str | None, finish: str | None) -> dict[str, Any]:
        if chat:
            delta = {} if token is None else {"content": token}
            return {"index": 0, "delta": delta, "finish_reason": finish}
        return {"index": 0, "text": token or "", "finish_reason": finish, "logprobs": None}

    events = [{**head, "choices": [choice(t, None)]} for t in reply.tokens]
    if reply.finish_reason is not None:
        events.append({**head, "choices": [choice(None, reply.finish_reason)]})
    if reply.usage and (body.get("stream_options") or {}).get("include_usage"):
        n = len(reply.tokens)
        usage = {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n}
        events.append({**head, "choices": [], "usage": usage})
    frames = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    return frames + ([b"data: [DONE]\n\n"] if reply.done else [])


def _whole(body: dict[str, Any], reply: Reply, chat: bool) -> dict[str, Any]:
    """A non-streamed answer (``stream: false``) in OpenAI's shape."""
    text = "".join(reply.tokens)
    if chat:
        choice: dict[str, Any] = {"message": {"role": "assistant", "content": text}}
    else:
        choice = {"text": text, "logprobs": None}
    n = len(reply.tokens)
    return {
        "id": "cmpl-1",
        "object": "chat.completion" if chat else "text_completion",
        "created": 0,
        "model": body.get("model"),
        "choices": [{"index": 0, "finish_reason": reply.finish_reason, **choice}],
        "usage": {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n},
    }


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


# -- the server is what a real client accepts ------------------------------------------------------


def test_openai_sdk_streams_completions_from_the_server(server: ScriptedServer) -> None:
    client = openai.OpenAI(base_url=server.v1, api_key=KEY, max_retries=0)
    with client:
        stream = client.completions.create(
            model=MODEL, prompt="hi", stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
    texts = [c.choices[0].text for c in chunks if c.choices]
    assert "".join(texts) == "Hello, world!"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert server.wait_completed(1) == 1


def test_openai_sdk_streams_chat_from_the_server(server: ScriptedServer) -> None:
    client = openai.OpenAI(base_url=server.v1, api_key=KEY, max_retries=0)
    with client:
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        chunks = list(stream)
    content = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(content) == "Hello, world!"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_openai_sdk_reads_the_servers_errors(server: ScriptedServer) -> None:
    server.queue.append(
        Reply(status=429, body={"error": {"message": "slow down", "type": "rate_limit"}})
    )
    client = openai.OpenAI(base_url=server.v1, api_key=KEY, max_retries=0)
    with client, pytest.raises(openai.RateLimitError, match="slow down"):
        client.completions.create(model=MODEL, prompt="hi", stream=True)
