"""Failures of an OpenAI-compatible server as harness errors.

OpenAI-shaped error answers (HTTP status and ``{"error": …}`` body), ``{"error": …}`` events
inside a 200 stream, and timeouts and aiohttp failures of a request. Messages never hold
the key.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from harness.adapters.http import describe_error_body, parse_retry_after, redact
from harness.adapters.openai_options import ENV_API_KEY
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

__all__ = [
    "ENV_API_KEY",
    "describe_openai_error",
    "error_for_status",
    "stream_error_event",
    "transport_error",
]


def describe_openai_error(body: str | bytes | None) -> str:
    """``type: message`` from an OpenAI-shaped error body ``{"error": {...}}``, else its text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and error.get("message"):
        kind = error.get("code") or error.get("type")
        return describe_error_body(json.dumps({"type": kind, "message": error["message"]}))
    if isinstance(error, str) and error:
        return describe_error_body(json.dumps({"message": error}))
    return describe_error_body(text)  # FastAPI's {"detail": …}, Gradient-style, or plain text


def error_for_status(
    status: int,
    body: str | bytes | None,
    *,
    retry_after: str | None,
    what: str,
    key: str,
    key_source: str,
) -> AdapterError:
    """The AdapterError for a non-2xx answer from an OpenAI-compatible server.

    401/403 → AuthenticationError, 404 → ModelNotFoundError, 400/422 → InvalidRequestError,
    408 → RequestTimeoutError, 429 → RateLimitedError (``retry_after_s`` from Retry-After),
    5xx → ServerError, anything else → AdapterError. The key is masked out of the message.
    """
    detail = describe_openai_error(body)
    message = f"{what} failed: HTTP {status}" + (f" ({detail})" if detail else "")
    retry_after_s = parse_retry_after(retry_after) if status == 429 else None
    if retry_after_s is not None:
        message += f"; retry after {retry_after_s:g}s"
    if status == 401:
        message += (
            f"; no api_key was given and {ENV_API_KEY} is not set"
            if key_source == "placeholder"
            else f"; check the key (from {key_source})"
        )
    elif status == 404:
        message += "; check the model name, and that api_base is the API's base URL (…/v1)"
    message = redact(message, [key] if key_source != "placeholder" else [])
    if status in (401, 403):
        return AuthenticationError(message, status=status)
    if status == 404:
        return ModelNotFoundError(message, status=status)
    if status in (400, 422):
        return InvalidRequestError(message, status=status)
    if status == 408:
        return RequestTimeoutError(message, status=status)
    if status == 429:
        return RateLimitedError(message, status=status, retry_after_s=retry_after_s)
    if 500 <= status <= 599:
        return ServerError(message, status=status)
    return AdapterError(message, status=status)


def stream_error_event(
    error: Any, *, what: str, tokens: int, key: str, key_source: str
) -> AdapterError:
    """An ``{"error": …}`` event inside a 200 stream: by its code when that is a status."""
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) and 400 <= code <= 599 else 500
    return error_for_status(
        status,
        json.dumps({"error": error}),
        retry_after=None,
        what=f"{what} (mid-stream, after {tokens} tokens)",
        key=key,
        key_source=key_source,
    )


def transport_error(
    exc: BaseException, *, what: str, api_base: str, timeout_s: float, tokens: int | None
) -> AdapterError:
    """A timeout or aiohttp failure of a request; ``tokens`` arrived (None: not a stream)."""
    import aiohttp

    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        arrived = f" ({tokens} tokens had arrived)" if tokens else ""
        return RequestTimeoutError(f"{what} got no complete answer within {timeout_s:g}s{arrived}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.strerror or type(exc.os_error).__name__
        return ConnectionFailedError(f"{what} failed: cannot connect to {api_base} ({reason})")
    if tokens is not None and (tokens or isinstance(exc, aiohttp.ClientPayloadError)):
        return ConnectionFailedError(
            f"{what} failed: the connection to {api_base} was lost mid-stream after "
            f"{tokens} tokens ({type(exc).__name__})"
        )
    return ConnectionFailedError(
        f"{what} failed: the connection to {api_base} was lost ({type(exc).__name__})"
    )
