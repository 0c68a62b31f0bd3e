"""The ``openai-like`` adapter type: llama-index's ``OpenAILike``, raising harness errors.

Loads without llama-index or the openai SDK: ``OpenAILikeLLM`` is defined on first access.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, PrivateAttr

from harness.adapters.base import AdapterType
from harness.adapters.http import MASK, redact
from harness.adapters.openai_errors import error_for_status
from harness.adapters.openai_options import OpenAICompatibleOptions, resolve_api_key
from harness.errors import (
    AdapterError,
    ConnectionFailedError,
    RequestTimeoutError,
    ServerError,
)

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage

__all__ = [
    "OPENAI_LIKE",
    "OpenAILikeLLM",  # noqa: F822  (defined on first access by __getattr__)
]

_R = TypeVar("_R")


class _OpenAIErrors:
    """Maps what the openai SDK (and httpx under it) raises to harness errors, in a ``with``."""

    def __init__(self, what: str, api_base: str, key: str, key_source: str) -> None:
        self.what, self.api_base, self.key, self.key_source = what, api_base, key, key_source

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            error = self.translate(exc)
            if error is not None:
                raise error from None

    def translate(self, exc: BaseException) -> AdapterError | None:
        import httpx
        import openai

        what, base = self.what, self.api_base
        if isinstance(exc, openai.APIStatusError):
            try:
                body: str | bytes = exc.response.content
            except httpx.ResponseNotRead:
                body = json.dumps({"error": exc.body})
            return error_for_status(
                exc.status_code,
                body,
                retry_after=exc.response.headers.get("Retry-After"),
                what=what,
                key=self.key,
                key_source=self.key_source,
            )
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            return RequestTimeoutError(f"{what} got no answer within the timeout")
        if isinstance(exc, openai.APIConnectionError):
            return ConnectionFailedError(f"{what} failed: cannot connect to {base}")
        if isinstance(exc, httpx.TransportError):
            return ConnectionFailedError(
                f"{what} failed: the connection to {base} was lost ({type(exc).__name__})"
            )
        if isinstance(exc, openai.APIError):  # an error event inside the stream
            return ServerError(redact(f"{what} failed mid-stream: {exc.message}", [self.key]))
        if isinstance(exc, json.JSONDecodeError):
            return ServerError(f"{what} failed: malformed event stream", status=200)
        return None


async def _translated_aiter(
    stream: AsyncIterator[_R], errors: _OpenAIErrors
) -> AsyncGenerator[_R, None]:
    with errors:
        async for item in stream:
            yield item


def _translated_iter(stream: Iterator[_R], errors: _OpenAIErrors) -> Iterator[_R]:
    with errors:
        yield from stream


@functools.cache
def _openai_like_class() -> type[Any]:
    """Define ``OpenAILikeLLM`` on first use: importing the openai SDK is slow."""
    from llama_index.llms.openai_like import OpenAILike  # type: ignore[import-untyped]

    class OpenAILikeLLM(OpenAILike):  # type: ignore[misc]  # OpenAILike is typed loosely
        """llama-index's ``OpenAILike``, raising harness errors, with the key masked in repr.

        Requests, streaming and parsing are OpenAILike's own (the openai SDK over httpx); this
        subclass only maps the SDK's exceptions to ``harness.errors`` and adds ``aclose()``.
        """

        streaming_emulated: ClassVar[bool] = False

        #: Where the key came from (see resolve_api_key), for the hint of a 401.
        _key_source: str = PrivateAttr(default="api_key")

        def _errors(self, action: str) -> _OpenAIErrors:
            return _OpenAIErrors(
                f"{action} with model {self.model!r}",
                str(self.api_base),
                str(self.api_key or ""),
                self._key_source,
            )

        def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
            for name, value in super().__repr_args__():
                yield name, (MASK if name == "api_key" and value else value)

        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            with self._errors("completion"):
                return super().complete(prompt, formatted, **kwargs)

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            errors = self._errors("completion")
            with errors:
                return _translated_iter(
                    super().stream_complete(prompt, formatted, **kwargs), errors
                )

        def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
            with self._errors("chat"):
                return super().chat(messages, **kwargs)

        def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
            errors = self._errors("chat")
            with errors:
                return _translated_iter(super().stream_chat(messages, **kwargs), errors)

        async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            with self._errors("completion"):
                return await super().acomplete(prompt, formatted, **kwargs)

        async def astream_complete(
            self, prompt: str, formatted: bool = False, **kwargs: Any
        ) -> Any:
            errors = self._errors("completion")
            with errors:
                stream = await super().astream_complete(prompt, formatted, **kwargs)
            return _translated_aiter(stream, errors)

        async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
            with self._errors("chat"):
                return await super().achat(messages, **kwargs)

        async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
            errors = self._errors("chat")
            with errors:
                stream = await super().astream_chat(messages, **kwargs)
            return _translated_aiter(stream, errors)

        async def aprepare(self) -> None:
            """Build the SDK's async client before the runner's clock starts.

            The SDK imports its resource modules on first access (~0.4 s, blocking the
            event loop); left to the first request, every request in flight would wait.
            """
            client = self._get_aclient()
            _ = client.completions, client.chat.completions

        async def aclose(self) -> None:
            """Close the SDK's async client (its httpx pool), then the sync one."""
            client: Any = getattr(self, "_aclient", None)
            self._aclient = None
            if client is not None:
                await client.close()
            self.close()

        def close(self) -> None:
            client: Any = getattr(self, "_client", None)
            self._client = None
            if client is not None:
                client.close()

    OpenAILikeLLM.__qualname__ = "OpenAILikeLLM"
    return OpenAILikeLLM


def _build_openai_like(options: BaseModel) -> Any:
    from harness.adapters.openai_compatible_llm import CONTEXT_WINDOW

    values = options.model_dump()
    key, source = resolve_api_key(values["api_key"])
    llm = _openai_like_class()(
        model=values["model"],
        api_base=values["api_base"],
        api_key=key,
        is_chat_model=values["is_chat_model"],
        max_tokens=values["max_tokens"],
        timeout=values["timeout"],
        is_function_calling_model=False,
        max_retries=0,  # the harness's retry policy decides
        context_window=CONTEXT_WINDOW,
    )
    llm._key_source = source
    return llm


OPENAI_LIKE = AdapterType(
    name="openai-like",
    options=OpenAICompatibleOptions,
    build=_build_openai_like,
    description="A model behind an OpenAI-compatible API, through llama-index's OpenAILike",
    model_option="model",
)


def __getattr__(name: str) -> Any:
    if name == "OpenAILikeLLM":
        return _openai_like_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
