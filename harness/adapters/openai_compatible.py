"""OpenAI-compatible servers as llama-index LLMs, through our lean SSE client.

``OpenAICompatibleLLM`` (adapter type ``openai-compatible``) streams ``/completions`` or
``/chat/completions`` over aiohttp (one pool per event loop), parses the event stream by hand
and yields each token as it arrives. It is the fast path the harness measures with.
``openai-like`` (``openai_like.py``) takes the same options; both raise ``harness.errors`` types
whose messages never hold the key.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Coroutine,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import aiohttp
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index_instrumentation import get_dispatcher  # what llama_index.core re-exports
from llama_index_instrumentation.dispatcher import Dispatcher
from llama_index_instrumentation.event_handlers.null import NullEventHandler
from pydantic import BaseModel, Field, PrivateAttr, SecretStr

from harness.adapters.base import AdapterType
from harness.adapters.builtin import options_model_for
from harness.adapters.http import MASK, AsyncHttpClient
from harness.adapters.openai_errors import ENV_API_KEY, error_for_status
from harness.adapters.sse import SSEDecoder
from harness.errors import (
    AdapterError,
    ConfigurationError,
    ConnectionFailedError,
    ModelNotFoundError,
    RequestTimeoutError,
    ServerError,
)
from harness.registry import suggest

__all__ = [
    "CONNECTION_LIMIT",
    "CONTEXT_WINDOW",
    "DEFAULT_TIMEOUT_S",
    "ENV_API_KEY",
    "GENERATION_OPTIONS",
    "OPENAI_COMPATIBLE",
    "PLACEHOLDER_API_KEY",
    "OpenAICompatibleLLM",
    "OpenAICompatibleOptions",
    "resolve_api_key",
]

#: Sent when neither ``api_key`` nor OPENAI_API_KEY is set: local servers (vLLM, llama.cpp,
#: Ollama…) accept any key, and the OpenAI SDK refuses to send none.
PLACEHOLDER_API_KEY = "EMPTY"
DEFAULT_TIMEOUT_S = 60.0
#: Simultaneous connections of one adapter, per event loop.
CONNECTION_LIMIT = 256
#: ``metadata.context_window``: the servers do not report one; llama-index's own default.
CONTEXT_WINDOW = DEFAULT_CONTEXT_WINDOW
#: Keyword arguments the completion and chat methods accept (passed through to the server).
GENERATION_OPTIONS = ("max_tokens", "stop", "temperature", "top_p")

_R = TypeVar("_R")
_MAX_LISTED_MODELS = 20


def resolve_api_key(api_key: SecretStr | str | None) -> tuple[str, str]:
    """The key to send and where it came from: the option, OPENAI_API_KEY, or the placeholder."""
    if isinstance(api_key, SecretStr):
        api_key = api_key.get_secret_value()
    if api_key:
        return api_key, "api_key"
    env = os.environ.get(ENV_API_KEY)
    if env:
        return env, ENV_API_KEY
    return PLACEHOLDER_API_KEY, "placeholder"


# -- the lean client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Endpoint:
    """Everything a request needs, resolved once (on first use) from the fields and environment."""

    stream_url: str
    models_url: str
    key_source: str
    timeout: aiohttp.ClientTimeout
    key: str = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)


class _LoopThread:
    """A private event loop in a daemon thread: the sync methods run the async path on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="harness-openai-sync", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, _R]) -> _R:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        finally:
            future.cancel()  # only has an effect when the wait itself was interrupted

    def iterate(self, stream: AsyncGenerator[_R, None]) -> Generator[_R, None, None]:
        try:
            while True:
                try:
                    item = self.run(stream.__anext__())
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if not self.loop.is_closed():  # else close() already shut the stream down
                self.run(stream.aclose())

    def stop(self) -> None:
        # shutdown_asyncgens() closes the aiohttp session opened on this loop (see http.py).
        self.run(self.loop.shutdown_asyncgens())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class OpenAICompatibleLLM(CustomLLM):
    """A model behind an OpenAI-compatible API, streamed token by token (``stream: true``).

    Completion calls post to ``{api_base}/completions`` (``is_chat_model=False``) or, as one
    user message, to ``{api_base}/chat/completions``; chat calls send the messages to the chat
    route, or format them with ``messages_to_prompt`` for the completion route. Every request
    streams with ``stream_options.include_usage``; ``complete``/``acomplete``/``chat``/``achat``
    collect the stream, and the sync methods run the async path on a private loop thread.

    Each stream yields one response per content chunk, as it arrives (``delta`` the chunk's
    text, ``text`` everything so far), then one last response with ``delta == ""`` whose
    ``raw`` is ``{"finish_reason", "usage"}`` and whose ``additional_kwargs`` hold
    ``finish_reason`` and, when the server sent usage, ``prompt_tokens``,
    ``completion_tokens`` and ``total_tokens``.
    """

    streaming_emulated: ClassVar[bool] = False

    model: str = Field(
        description="The model name the server serves (sent as `model`).", min_length=1
    )
    api_base: str = Field(
        description="Base URL of the API, up to and including /v1 (e.g. http://localhost:8000/v1).",
        pattern=r"^https?://[^\s]+$",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description=(
            f"Bearer key. Defaults to {ENV_API_KEY}, else the placeholder "
            f"'{PLACEHOLDER_API_KEY}' that local servers accept. In suites write ${{ENV_VAR}}."
        ),
    )
    is_chat_model: bool = Field(
        default=False,
        description="Whether to use /chat/completions (True) or /completions (False).",
    )
    max_tokens: int | None = Field(
        default=None,
        description="Tokens to generate per request (the server's default if unset).",
        gt=0,
    )
    timeout: float = Field(
        default=DEFAULT_TIMEOUT_S,
        description="Bound on one whole request, from sending it to its last token, in seconds.",
        gt=0,
        allow_inf_nan=False,
    )

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _endpoint_cache: _Endpoint | None = PrivateAttr(default=None)
    _loop_thread: _LoopThread | None = PrivateAttr(default=None)
    _http: AsyncHttpClient = PrivateAttr(
        default_factory=lambda: AsyncHttpClient(connection_limit=CONNECTION_LIMIT)
    )

    @classmethod
    def class_name(cls) -> str:
        return cls.__name__

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=CONTEXT_WINDOW,
            num_output=self.max_tokens if self.max_tokens is not None else DEFAULT_NUM_OUTPUTS,
            is_chat_model=self.is_chat_model,
            model_name=self.model,
        )

    # -- llama-index interface ------------------------------------------------------------------

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Stream the completion of ``prompt``; kwargs are ``GENERATION_OPTIONS``.

        llama-index's callback events (one per chunk) are sent only when a handler listens:
        built for every chunk regardless, they cost ~40% of throughput at concurrency 64.
        """
        if _observed(self):
            observed: CompletionResponseAsyncGen = await self._astream_complete_observed(
                prompt, formatted, **kwargs
            )
            return observed
        return self._completion_stream(prompt, formatted, kwargs)

    @llm_completion_callback()
    async def _astream_complete_observed(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return self._completion_stream(prompt, formatted, kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return await _last(self._completion_stream(prompt, formatted, kwargs))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return self._sync().iterate(self._completion_stream(prompt, formatted, kwargs))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return self._sync().run(_last(self._completion_stream(prompt, formatted, kwargs)))

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Stream the reply to ``messages``; callback events as in :meth:`astream_complete`."""
        if _observed(self):
            observed: ChatResponseAsyncGen = await self._astream_chat_observed(messages, **kwargs)
            return observed
        return self._chat_stream(messages, kwargs)

    @llm_chat_callback()
    async def _astream_chat_observed(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return self._chat_stream(messages, kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await _last(self._chat_stream(messages, kwargs))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._sync().iterate(self._chat_stream(messages, kwargs))

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._sync().run(_last(self._chat_stream(messages, kwargs)))

    async def aprepare(self) -> None:
        """Open this loop's connection pool and check that the server serves ``model``.

        One ``GET {api_base}/models``: a model missing from the listing is a
        ModelNotFoundError (with the nearest name); a server that does not list models
        (404, 405, 501) or lists them in another shape is not checked. The runner calls this
        before its clock starts.
        """
        endpoint = self._endpoint()
        what = f"listing the models at {self.api_base}"
        session = await self._http._session()  # the per-loop session of http.py
        try:
            async with session.get(
                endpoint.models_url, headers=endpoint.headers, timeout=endpoint.timeout
            ) as response:
                status, body = response.status, await response.read()
                retry_after = response.headers.get("Retry-After")
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(exc, what, None) from None
        if status in (404, 405, 501):
            return
        if not 200 <= status <= 299:
            raise error_for_status(
                status,
                body,
                retry_after=retry_after,
                what=what,
                key=endpoint.key,
                key_source=endpoint.key_source,
            )
        try:
            names = [str(entry["id"]) for entry in json.loads(body)["data"]]
        except (ValueError, TypeError, KeyError):
            return
        if self.model not in names:
            shown = ", ".join(sorted(names)[:_MAX_LISTED_MODELS]) or "none"
            more = len(names) - _MAX_LISTED_MODELS
            raise ModelNotFoundError(
                f"model {self.model!r} is not served at {self.api_base}"
                f"{suggest(self.model, names)}; available: {shown}"
                + (f" and {more} more" if more > 0 else "")
            )

    async def aclose(self) -> None:
        """Close this loop's connection pool (awaited), then everything :meth:`close` closes."""
        await self._http.aclose()
        self.close()

    def close(self) -> None:
        """Close the connection pool of every event loop, and the sync methods' loop thread."""
        with self._lock:
            loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            loop_thread.stop()
        self._http.close()

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, (MASK if name == "api_key" and value is not None else value)

    # -- requests ---------------------------------------------------------------------------------

    def _endpoint(self) -> _Endpoint:
        cached = self._endpoint_cache  # set once: every request after the first reads it here
        if cached is not None:
            return cached
        with self._lock:
            if self._endpoint_cache is None:
                key, source = resolve_api_key(self.api_key)
                base = self.api_base.rstrip("/")
                route = "/chat/completions" if self.is_chat_model else "/completions"
                self._endpoint_cache = _Endpoint(
                    stream_url=base + route,
                    models_url=base + "/models",
                    key_source=source,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    key=key,
                    headers={
                        "Authorization": f"Bearer {key}",
                        "Content-Type": "application/json",
                        "Accept": "text/event-stream",
                    },
                )
            return self._endpoint_cache

    def _sync(self) -> _LoopThread:
        with self._lock:
            if self._loop_thread is None:
                self._loop_thread = _LoopThread()
            return self._loop_thread

    def _body(self, options: dict[str, Any]) -> dict[str, Any]:
        """The request body without its prompt; unknown options fail here, before any request."""
        unknown = sorted(set(options) - set(GENERATION_OPTIONS))
        if unknown:
            hints = ", ".join(f"{n!r}{suggest(n, list(GENERATION_OPTIONS))}" for n in unknown)
            raise ConfigurationError(
                f"unknown generation option{'s' if len(unknown) > 1 else ''} {hints} for "
                f"model {self.model!r}; expected one of: {', '.join(GENERATION_OPTIONS)}"
            )
        body: dict[str, Any] = {
            "model": self.model,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        body.update((k, v) for k, v in options.items() if v is not None)
        return body

    def _completion_stream(
        self, prompt: str, formatted: bool, options: dict[str, Any]
    ) -> AsyncGenerator[CompletionResponse, None]:
        body = self._body(options)
        if self.is_chat_model:
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            if not formatted:
                assert self.completion_to_prompt is not None  # LLM's validator sets a default
                prompt = self.completion_to_prompt(prompt)
            body["prompt"] = prompt
        return self._stream(body, f"completion with model {self.model!r}", _completion_response)

    def _chat_stream(
        self, messages: Sequence[ChatMessage], options: dict[str, Any]
    ) -> AsyncGenerator[ChatResponse, None]:
        body = self._body(options)
        if self.is_chat_model:
            body["messages"] = [
                {"role": m.role.value, "content": m.content or ""} for m in messages
            ]
        else:
            assert self.messages_to_prompt is not None  # LLM's validator sets a default
            body["prompt"] = self.messages_to_prompt(messages)
        return self._stream(body, f"chat with model {self.model!r}", _chat_response)

    async def _stream(
        self,
        body: dict[str, Any],
        what: str,
        respond: Callable[[str, str, Any, dict[str, Any]], _R],
    ) -> AsyncGenerator[_R, None]:
        """Post ``body`` and yield a response per content chunk, then the summary response.

        The hot path: one ``json.loads`` per event and no other per-chunk validation.
        """
        endpoint = self._endpoint()
        content_key = "delta" if self.is_chat_model else None
        data = json.dumps(body).encode()
        text = ""
        tokens = 0
        finish_reason: Any = None
        usage: Any = None
        done = False
        decoder = SSEDecoder()
        session = await self._http._session()  # the per-loop session of http.py
        try:
            async with session.post(
                endpoint.stream_url, data=data, headers=endpoint.headers, timeout=endpoint.timeout
            ) as response:
                if response.status != 200:
                    raise error_for_status(
                        response.status,
                        await response.read(),
                        retry_after=response.headers.get("Retry-After"),
                        what=what,
                        key=endpoint.key,
                        key_source=endpoint.key_source,
                    )
                async for piece in response.content.iter_any():
                    for payload in decoder.feed(piece):
                        if payload == b"[DONE]":
                            done = True
                            break
                        try:
                            chunk = json.loads(payload)
                            choices = chunk.get("choices")
                            token = None
                            if choices:
                                choice = choices[0]
                                if choice.get("finish_reason"):
                                    finish_reason = choice["finish_reason"]
                                token = (
                                    (choice.get("delta") or {}).get("content")
                                    if content_key
                                    else choice.get("text")
                                )
                            if chunk.get("usage"):
                                usage = chunk["usage"]
                            elif chunk.get("error"):
                                raise self._stream_error(chunk["error"], what, tokens, endpoint)
                        except (ValueError, AttributeError, TypeError, KeyError, IndexError):
                            raise ServerError(
                                f"{what} failed: malformed event stream after {tokens} tokens "
                                f"(an event's data is not an OpenAI stream chunk)",
                                status=200,
                            ) from None
                        if token:
                            text += token
                            tokens += 1
                            yield respond(text, token, chunk, {})
                    if done:
                        break
                if not done:
                    done = b"[DONE]" in decoder.close()
                if not done and finish_reason is None:
                    raise ConnectionFailedError(
                        f"{what} failed: the stream from {self.api_base} ended after {tokens} "
                        f"tokens without a finish_reason or [DONE] "
                        f"(Content-Type: {response.content_type})"
                    )
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(exc, what, tokens) from None
        summary = _usage(usage)
        extra: dict[str, Any] = {"finish_reason": finish_reason, **(summary or {})}
        yield respond(text, "", {"finish_reason": finish_reason, "usage": summary}, extra)

    def _transport_error(self, exc: BaseException, what: str, tokens: int | None) -> AdapterError:
        if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
            arrived = f" ({tokens} tokens had arrived)" if tokens else ""
            return RequestTimeoutError(
                f"{what} got no complete answer within {self.timeout:g}s{arrived}"
            )
        if isinstance(exc, aiohttp.ClientConnectorError):
            reason = exc.strerror or type(exc.os_error).__name__
            return ConnectionFailedError(
                f"{what} failed: cannot connect to {self.api_base} ({reason})"
            )
        if tokens is not None and (tokens or isinstance(exc, aiohttp.ClientPayloadError)):
            return ConnectionFailedError(
                f"{what} failed: the connection to {self.api_base} was lost mid-stream after "
                f"{tokens} tokens ({type(exc).__name__})"
            )
        return ConnectionFailedError(
            f"{what} failed: the connection to {self.api_base} was lost ({type(exc).__name__})"
        )

    def _stream_error(
        self, error: Any, what: str, tokens: int, endpoint: _Endpoint
    ) -> AdapterError:
        """An ``{"error": …}`` event inside a 200 stream: by its code when that is a status."""
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) and 400 <= code <= 599 else 500
        return error_for_status(
            status,
            json.dumps({"error": error}),
            retry_after=None,
            what=f"{what} (mid-stream, after {tokens} tokens)",
            key=endpoint.key,
            key_source=endpoint.key_source,
        )


def _completion_response(
    text: str, delta: str, raw: Any, extra: dict[str, Any]
) -> CompletionResponse:
    return CompletionResponse(text=text, delta=delta, raw=raw, additional_kwargs=extra)


def _chat_response(text: str, delta: str, raw: Any, extra: dict[str, Any]) -> ChatResponse:
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
        delta=delta,
        raw=raw,
        additional_kwargs=extra,
    )


#: The dispatcher llama-index's callback decorators send their events through.
_DISPATCHER = get_dispatcher("llama_index.core.llms.callbacks")


def _observed(llm: CustomLLM) -> bool:
    """Whether a llama-index callback or instrumentation event handler would see events."""
    if getattr(llm.callback_manager, "handlers", None):
        return True
    dispatcher: Dispatcher | None = _DISPATCHER
    while dispatcher is not None:
        if any(not isinstance(h, NullEventHandler) for h in dispatcher.event_handlers):
            return True
        dispatcher = dispatcher.parent if dispatcher.propagate else None
    return False


def _usage(usage: Any) -> dict[str, int] | None:
    """``prompt_tokens``, ``completion_tokens``, ``total_tokens`` from a usage block, or None."""
    if not isinstance(usage, dict):
        return None
    try:
        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        total = int(usage.get("total_tokens") or prompt + completion)
    except (TypeError, ValueError):
        return None
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


async def _last(stream: AsyncIterator[_R]) -> _R:
    """Drain a stream; its last response (every stream here ends with a summary)."""
    last: _R | None = None
    async for last in stream:  # noqa: B007
        pass
    assert last is not None
    return last


#: The options of both adapter types: ``OpenAICompatibleLLM``'s own fields.
OpenAICompatibleOptions = options_model_for(OpenAICompatibleLLM)


def _build_openai_compatible(options: BaseModel) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(**options.model_dump(exclude_unset=True))


OPENAI_COMPATIBLE = AdapterType(
    name="openai-compatible",
    options=OpenAICompatibleOptions,
    build=_build_openai_compatible,
    description="A model behind an OpenAI-compatible API, streamed by the harness's own client",
    model_option="model",
)
