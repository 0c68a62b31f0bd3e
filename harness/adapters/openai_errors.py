"""OpenAI-shaped error answers (HTTP status and ``{"error": …}`` body) as harness errors."""

from __future__ import annotations

import json

from harness.adapters.http import describe_error_body, parse_retry_after, redact
from harness.errors import (
    AdapterError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)

__all__ = ["ENV_API_KEY", "describe_openai_error", "error_for_status"]

#: Where the key comes from when no ``api_key`` is given (named in the hint of a 401).
ENV_API_KEY = "OPENAI_API_KEY"


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
