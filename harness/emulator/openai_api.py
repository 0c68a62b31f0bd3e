"""The OpenAI-compatible routes, with true token-by-token streaming (server-sent events).

Served at the root: ``GET /v1/models``, ``POST /v1/completions``, ``POST /v1/chat/completions``
(so ``openai.OpenAI(base_url=root_url + "/v1")``, llama-index's ``OpenAILike`` and other
clients of vLLM, llama.cpp server or Ollama work unchanged). ``model`` may be a simulated
model's name, slug or id; ``/v1/models`` lists each as its slug (base models) or id
(adapters). A chat request is answered by the same rules as a completion, matched against the
messages rendered as the model's ``chat_prompt`` says (``last_user`` by default).

Streaming (``stream: true``) writes ``data: {json}\\n\\n`` events, one token per chunk, each
written and flushed when due (aiohttp sets TCP_NODELAY; events due at the same moment, as
with zero delay or a stream running behind, share one write): the first token ``delay_ms +
jitter`` after the request arrived, each later one ``per_token_ms (+ itl_jitter)`` after the
previous was due, on an absolute ``loop.time()`` schedule so delays do not drift (a token
written late does not delay the next one; asyncio timers wake about 0.5 ms late). Then, at once, a
chunk with ``finish_reason``, a usage chunk (empty ``choices``) when
``stream_options.include_usage``, and ``data: [DONE]\\n\\n``. The first chat chunk carries
``delta.role``. Non-streaming answers are sent whole after the profile's full delay.

Errors use OpenAI's shape ``{"error": {"message", "type", "param", "code"}}``: 401
``invalid_api_key`` (only when the config fixes ``access_token``; ``Authorization: Bearer``,
no workspace header), 400 ``invalid_request_error`` for a bad body, 404 ``model_not_found``,
429 ``rate_limit_exceeded`` with ``Retry-After``, 500 ``server_error``, 503 when released by
shutdown. Faults are decided before any byte is sent; a hang holds the response headers; a
disconnect closes the connection halfway through the tokens.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import time
from typing import Any

from aiohttp import web

from harness.emulator.openai_request import (
    BadRequest,
    GenerationRequest,
    parse_generation_request,
)
from harness.emulator.simulate import (
    CompiledModel,
    Outcome,
    TemplateFailed,
    render_chat_prompt,
    split_pieces,
)
from harness.emulator.state import EmulatorState, json_bytes

__all__ = ["OPENAI_PREFIX", "OpenAIRoutes", "openai_error"]

OPENAI_PREFIX = "/v1"
_JSON = "application/json"
_SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_DONE = b"data: [DONE]\n\n"
_OWNER = "harness-emulator"


def openai_error(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """An error response in OpenAI's shape."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.Response(status=status, body=json_bytes(body), content_type=_JSON, headers=headers)


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _Reply:
    """The shapes of one response: its id, object names and pre-encoded chunk frames."""

    def __init__(self, model: CompiledModel, chat: bool, number: int) -> None:
        self.chat = chat
        self.id = f"{'chatcmpl' if chat else 'cmpl'}-{number:024x}"
        self.created = int(time.time())
        self.model = model.openai_id
        obj = "chat.completion.chunk" if chat else "text_completion"
        # A token's frame is head + JSON string + tail: no per-token dict to serialise.
        self._head = (
            f'data: {{"id":{_dumps(self.id)},"object":"{obj}","created":{self.created},'
            f'"model":{_dumps(self.model)},"choices":[{{"index":0,'
        )
        self._open = '"delta":{"content":' if chat else '"text":'
        self._close = (
            '},"logprobs":null,"finish_reason":null}]}\n\n'
            if chat
            else ',"logprobs":null,"finish_reason":null}]}\n\n'
        )

    def token_frame(self, piece: str, first: bool) -> bytes:
        opening = '"delta":{"role":"assistant","content":' if self.chat and first else self._open
        return (self._head + opening + _dumps(piece) + self._close).encode()

    def finish_frame(self, finish_reason: str) -> bytes:
        body = '"delta":{}' if self.chat else '"text":""'
        end = f',"logprobs":null,"finish_reason":{_dumps(finish_reason)}}}]}}\n\n'
        return (self._head + body + end).encode()

    def usage_frame(self, usage: dict[str, int]) -> bytes:
        obj = "chat.completion.chunk" if self.chat else "text_completion"
        chunk = {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage,
        }
        return b"data: " + json_bytes(chunk) + b"\n\n"

    def whole(self, outcome: Outcome, usage: dict[str, int]) -> bytes:
        choice: dict[str, Any] = {"index": 0}
        if self.chat:
            choice["message"] = {"role": "assistant", "content": outcome.text}
        else:
            choice["text"] = outcome.text
        choice["logprobs"] = None
        choice["finish_reason"] = outcome.finish_reason
        return json_bytes(
            {
                "id": self.id,
                "object": "chat.completion" if self.chat else "text_completion",
                "created": self.created,
                "model": self.model,
                "choices": [choice],
                "usage": usage,
            }
        )


class OpenAIRoutes:
    """Handlers of the OpenAI-compatible API over one emulator's shared state."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        # First declared wins when a name, slug or id is shared, as EmulatorConfig.model().
        self._by_key: dict[str, CompiledModel] = {}
        for m in state.models.values():
            for key in (m.id, m.name, m.slug):
                if key is not None:
                    self._by_key.setdefault(key, m)
        self._listing = json_bytes(
            {
                "object": "list",
                "data": [
                    {
                        "id": m.openai_id,
                        "object": "model",
                        "created": m.created,
                        "owned_by": _OWNER,
                    }
                    for m in state.models.values()
                ],
            }
        )
        self._numbers = itertools.count(1)

    def register(self, app: web.Application) -> None:
        """Add the ``/v1`` routes to ``app``."""
        app.router.add_get(f"{OPENAI_PREFIX}/models", self.list_models)
        app.router.add_post(f"{OPENAI_PREFIX}/completions", self.completions)
        app.router.add_post(f"{OPENAI_PREFIX}/chat/completions", self.chat_completions)

    # -- auth -------------------------------------------------------------------------------

    def _denied(self, request: web.Request, route: str) -> web.Response | None:
        token = self._state.access_token
        if token is None:  # like vLLM without --api-key: no credentials needed
            return None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given:
            message = "missing or malformed Authorization header; expected 'Bearer <api key>'"
        elif not hmac.compare_digest(given.encode(), token):
            message = "incorrect API key provided"
        else:
            return None
        self._state.stats.count(route, None, 401)
        return openai_error(401, message, code="invalid_api_key")

    # -- handlers ---------------------------------------------------------------------------

    async def list_models(self, request: web.Request) -> web.Response:
        denied = self._denied(request, "v1_models")
        if denied is not None:
            return denied
        self._state.stats.count("v1_models", None, 200)
        return web.Response(body=self._listing, content_type=_JSON)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, "v1_completions", chat=False)

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, "v1_chat_completions", chat=True)

    async def _generate(self, request: web.Request, route: str, chat: bool) -> web.StreamResponse:
        start = asyncio.get_running_loop().time()  # the latency schedule counts from arrival
        stats = self._state.stats
        denied = self._denied(request, route)
        if denied is not None:
            return denied
        try:
            parsed = parse_generation_request(await _read_json(request), chat=chat)
        except BadRequest as exc:
            stats.count(route, None, 400)
            return openai_error(400, exc.message, param=exc.param)
        except web.HTTPRequestEntityTooLarge as exc:
            stats.count(route, None, 413)
            return openai_error(413, exc.text or "request body too large")
        model = self._by_key.get(parsed.model)
        if model is None:
            stats.count(route, None, 404)
            return openai_error(
                404,
                f"the model '{_short(parsed.model)}' does not exist; "
                f"GET {OPENAI_PREFIX}/models lists them",
                param="model",
                code="model_not_found",
            )
        prompt = (
            parsed.prompt
            if parsed.prompt is not None
            else render_chat_prompt(parsed.messages, model.chat_prompt)
        )
        n = self._state.next_hit(model.id, prompt)
        try:
            outcome = model.decide(prompt, n, parsed.max_tokens, None, parsed.stop)
        except TemplateFailed as exc:
            stats.count(route, model.id, 500)
            return openai_error(500, f"emulator answer template failed: {exc}", kind="server_error")
        if outcome.kind == "rate_limit":
            stats.count(route, model.id, 429)
            return openai_error(
                429,
                "rate limit reached (injected)",
                kind="requests",
                code="rate_limit_exceeded",
                headers={"Retry-After": str(outcome.retry_after_s)},
            )
        if outcome.kind == "server_error":
            stats.count(route, model.id, 500)
            return openai_error(500, "internal server error (injected)", kind="server_error")
        stats.answered(model.id, outcome.correct)
        reply = _Reply(model, chat, next(self._numbers))
        usage = {
            "prompt_tokens": parsed.prompt_tokens,
            "completion_tokens": outcome.tokens,
            "total_tokens": parsed.prompt_tokens + outcome.tokens,
        }
        stats.in_flight += 1
        status = 200
        try:
            if parsed.stream:
                status, response = await self._stream(request, start, outcome, reply, usage, parsed)
            else:
                status, response = await self._whole(request, start, outcome, reply, usage)
            return response
        finally:
            stats.in_flight -= 1
            stats.count(route, model.id, status)

    async def _whole(
        self,
        request: web.Request,
        start: float,
        outcome: Outcome,
        reply: _Reply,
        usage: dict[str, int],
    ) -> tuple[int, web.StreamResponse]:
        state = self._state
        base = start + outcome.hang_s
        if outcome.disconnect_after is not None:
            if await state.sleep_until(base + outcome.disconnect_s):
                return 0, _disconnect(request, state)
        elif await state.sleep_until(base + outcome.delay_s):
            return 200, web.Response(body=reply.whole(outcome, usage), content_type=_JSON)
        return 503, _shutting_down()

    async def _stream(
        self,
        request: web.Request,
        start: float,
        outcome: Outcome,
        reply: _Reply,
        usage: dict[str, int],
        parsed: GenerationRequest,
    ) -> tuple[int, web.StreamResponse]:
        """Stream the answer; the status is 200 once the headers are out, whatever follows."""
        state = self._state
        base = start + outcome.hang_s
        if outcome.hang_s and not await state.sleep_until(base):
            return 503, _shutting_down()  # the hang holds the headers: a 503 can still be sent
        response = web.StreamResponse(headers=_SSE_HEADERS)
        await response.prepare(request)  # StreamResponse sends its headers at once
        pieces = split_pieces(outcome.text)
        if reply.chat and not pieces:
            pieces = [""]  # the role still needs its chunk
        cut = outcome.disconnect_after
        due = base + outcome.ttft_s
        jitter = outcome.itl_jitter_s
        loop = asyncio.get_running_loop()
        # Events already due when reached (zero delay, or a stream running behind) share one
        # write; before any wait, everything due so far is written, so nothing is held back.
        ready: list[bytes] = []
        try:
            # An empty completion has no token chunk: its final chunk is due at the TTFT.
            for k, piece in enumerate(pieces or [None]):
                if k:
                    due += outcome.per_token_s + (jitter[k] if k < len(jitter) else 0.0)
                if ready and due > loop.time():
                    await response.write(b"".join(ready))
                    ready.clear()
                if not await state.sleep_until(due):
                    _disconnect(request, None)  # released by shutdown: end it unfinished
                    return 200, response
                if k == cut:
                    if ready:
                        await response.write(b"".join(ready))
                    _disconnect(request, state)
                    return 200, response
                if piece is not None:
                    ready.append(reply.token_frame(piece, k == 0))
            ready.append(reply.finish_frame(outcome.finish_reason))
            if parsed.include_usage:
                ready.append(reply.usage_frame(usage))
            ready.append(_DONE)
            await response.write_eof(b"".join(ready))
        except ConnectionError:  # the client went away; nothing left to send
            pass
        return 200, response


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


def _disconnect(request: web.Request, state: EmulatorState | None) -> web.Response:
    """Close the connection under the request (a disconnect fault); the response is never sent."""
    if state is not None:
        state.stats.disconnected += 1
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=500)


def _shutting_down() -> web.Response:
    return openai_error(
        503, "the emulator is shutting down", kind="server_error", code="service_unavailable"
    )


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
