"""One streamed request to an OpenAI-compatible server: SSE events → a response per token.

``Endpoint`` is what every request of an LLM shares (URLs, key, headers, timeout), resolved
once; ``stream_pieces`` posts one body with ``stream: true`` and yields each chunk's token as it
arrives, then one summary with the finish reason and token usage; ``stream_responses`` is the
same stream as llama-index responses (a ``ResponseStream``, whose ``deltas()`` skip them).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
from pydantic import SecretStr

from harness.adapters.deltas import Piece, ResponseStream
from harness.adapters.http import AsyncHttpClient
from harness.adapters.openai_errors import error_for_status, stream_error_event, transport_error
from harness.adapters.openai_options import resolve_api_key
from harness.adapters.sse import SSEDecoder
from harness.errors import ConnectionFailedError, ServerError

__all__ = ["Endpoint", "stream_pieces", "stream_responses"]

_R = TypeVar("_R")


@dataclass(frozen=True)
class Endpoint:
    """Everything a request needs, resolved once (on first use) from the fields and environment."""

    api_base: str
    chat: bool  # /chat/completions, else /completions
    stream_url: str
    models_url: str
    key_source: str
    timeout_s: float
    timeout: aiohttp.ClientTimeout
    key: str = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)

    @classmethod
    def resolve(
        cls, *, api_base: str, api_key: SecretStr | None, chat: bool, timeout_s: float
    ) -> Endpoint:
        """The endpoint for these options; the key from ``api_key``, else the environment."""
        key, source = resolve_api_key(api_key)
        base = api_base.rstrip("/")
        return cls(
            api_base=api_base,
            chat=chat,
            stream_url=base + ("/chat/completions" if chat else "/completions"),
            models_url=base + "/models",
            key_source=source,
            timeout_s=timeout_s,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            key=key,
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Accept": "text/event-stream",
            },
        )


def stream_responses(
    http: AsyncHttpClient,
    endpoint: Endpoint,
    body: dict[str, Any],
    *,
    what: str,
    respond: Callable[[str, str, Any, dict[str, Any]], _R],
) -> AsyncGenerator[_R, None]:
    """Post ``body`` and yield a response per content chunk, then the summary response.

    ``respond(text, delta, raw, extra)`` makes each response: ``text`` everything so far,
    ``delta`` the chunk's text (``""`` for the summary, whose ``raw`` is ``{"finish_reason",
    "usage"}`` and whose ``extra`` holds ``finish_reason`` and the usage counts). The stream
    is a :class:`ResponseStream`: its ``deltas()`` are :func:`stream_pieces`, unbuilt.
    """
    return ResponseStream(stream_pieces(http, endpoint, body, what=what), respond)


async def stream_pieces(
    http: AsyncHttpClient, endpoint: Endpoint, body: dict[str, Any], *, what: str
) -> AsyncGenerator[Piece, None]:
    """Post ``body`` and yield ``(token, chunk, {})`` per content chunk, then the summary.

    The hot path: one ``json.loads`` per event, no other per-chunk validation, and no running
    text (constant work per chunk, whatever came before).
    """
    content_key = "delta" if endpoint.chat else None
    data = json.dumps(body).encode()
    tokens = 0
    finish_reason: Any = None
    usage: Any = None
    done = False
    decoder = SSEDecoder()
    session = await http.session()
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
                            raise stream_error_event(
                                chunk["error"],
                                what=what,
                                tokens=tokens,
                                key=endpoint.key,
                                key_source=endpoint.key_source,
                            )
                    except (ValueError, AttributeError, TypeError, KeyError, IndexError):
                        raise ServerError(
                            f"{what} failed: malformed event stream after {tokens} tokens "
                            f"(an event's data is not an OpenAI stream chunk)",
                            status=200,
                        ) from None
                    if token:
                        tokens += 1
                        yield token, chunk, {}
                if done:
                    break
            if not done:
                done = b"[DONE]" in decoder.close()
            if not done and finish_reason is None:
                raise ConnectionFailedError(
                    f"{what} failed: the stream from {endpoint.api_base} ended after {tokens} "
                    f"tokens without a finish_reason or [DONE] "
                    f"(Content-Type: {response.content_type})"
                )
    except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
        raise transport_error(
            exc, what=what, api_base=endpoint.api_base, timeout_s=endpoint.timeout_s, tokens=tokens
        ) from None
    summary = _usage(usage)
    extra: dict[str, Any] = {"finish_reason": finish_reason, **(summary or {})}
    yield "", {"finish_reason": finish_reason, "usage": summary}, extra


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
