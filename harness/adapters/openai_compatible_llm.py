"""``OpenAICompatibleLLM``: an OpenAI-compatible server as a llama-index LLM, over our SSE client.

It streams ``/completions`` or ``/chat/completions`` over aiohttp (one pool per event loop),
parses the event stream by hand and yields each token as it arrives: the fast path the harness
measures with. Its suite options are ``openai_options.py``; its adapter type is
``openai_compatible.py``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Sequence
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
from pydantic import PrivateAttr

from harness.adapters.http import MASK, AsyncHttpClient
from harness.adapters.loop_thread import LoopThread
from harness.adapters.openai_errors import error_for_status, transport_error
from harness.adapters.openai_options import (
    DEFAULT_TIMEOUT_S,
    ApiBase,
    ApiKey,
    IsChatModel,
    MaxTokens,
    Model,
    Timeout,
)
from harness.adapters.openai_stream import Endpoint, stream_responses
from harness.errors import ConfigurationError, ModelNotFoundError
from harness.registry import suggest

__all__ = ["CONNECTION_LIMIT", "CONTEXT_WINDOW", "GENERATION_OPTIONS", "OpenAICompatibleLLM"]

#: Simultaneous connections of one adapter, per event loop.
CONNECTION_LIMIT = 256
#: ``metadata.context_window``: the servers do not report one; llama-index's own default.
CONTEXT_WINDOW = DEFAULT_CONTEXT_WINDOW
#: Keyword arguments the completion and chat methods accept (passed through to the server).
GENERATION_OPTIONS = ("max_tokens", "stop", "temperature", "top_p")

_R = TypeVar("_R")
_MAX_LISTED_MODELS = 20


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

    model: Model
    api_base: ApiBase
    api_key: ApiKey = None
    is_chat_model: IsChatModel = False
    max_tokens: MaxTokens = None
    timeout: Timeout = DEFAULT_TIMEOUT_S

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _endpoint_cache: Endpoint | None = PrivateAttr(default=None)
    _loop_thread: LoopThread | None = PrivateAttr(default=None)
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
        session = await self._http.session()
        try:
            async with session.get(
                endpoint.models_url, headers=endpoint.headers, timeout=endpoint.timeout
            ) as response:
                status, body = response.status, await response.read()
                retry_after = response.headers.get("Retry-After")
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise transport_error(
                exc, what=what, api_base=self.api_base, timeout_s=self.timeout, tokens=None
            ) from None
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

    def _endpoint(self) -> Endpoint:
        cached = self._endpoint_cache  # set once: every request after the first reads it here
        if cached is not None:
            return cached
        with self._lock:
            if self._endpoint_cache is None:
                self._endpoint_cache = Endpoint.resolve(
                    api_base=self.api_base,
                    api_key=self.api_key,
                    chat=self.is_chat_model,
                    timeout_s=self.timeout,
                )
            return self._endpoint_cache

    def _sync(self) -> LoopThread:
        with self._lock:
            if self._loop_thread is None:
                self._loop_thread = LoopThread("harness-openai-sync")
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

    def _stream(
        self,
        body: dict[str, Any],
        what: str,
        respond: Callable[[str, str, Any, dict[str, Any]], _R],
    ) -> AsyncGenerator[_R, None]:
        return stream_responses(self._http, self._endpoint(), body, what=what, respond=respond)


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


async def _last(stream: AsyncIterator[_R]) -> _R:
    """Drain a stream; its last response (every stream here ends with a summary)."""
    last: _R | None = None
    async for last in stream:  # noqa: B007
        pass
    assert last is not None
    return last
