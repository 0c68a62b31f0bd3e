"""Maps an HTTP failure (status, body, Retry-After) to the harness's AdapterError types.

Shared by the SDK (urllib3) and aiohttp paths so both raise the same type with the same
message. Messages are built from the status and the server's error body only, never from
request headers, and every known secret is masked out of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from harness.errors import (
    AdapterError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitedError,
    ServerError,
)

__all__ = ["describe_error_body", "error_for_status", "parse_retry_after", "redact"]

MASK = "***"
_MAX_DETAIL_CHARS = 300


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), else None.

    A date in the past gives 0; an unparsable or negative value gives None.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def describe_error_body(body: str | bytes | None) -> str:
    """The server's error type and message from a Gradient error body, or its start as text.

    Gradient errors are JSON objects like ``{"type": "unknownModelAdapter", "message": ...}``;
    anything else is shown as (at most 300 characters of) text.
    """
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return ""
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        kind = payload.get("type")
        message = payload.get("message") or payload.get("error") or payload.get("detail")
        parts = [str(p) for p in (kind, message) if p not in (None, "")]
        if parts:
            return _clip(": ".join(parts))
    return _clip(" ".join(text.split()))


def error_for_status(
    status: int,
    body: str | bytes | None,
    *,
    retry_after: str | None,
    what: str,
    secrets: Iterable[str | None] = (),
) -> AdapterError:
    """The AdapterError for a non-2xx answer to ``what`` (e.g. "completion with model adapter 'x'").

    401/403 → AuthenticationError, 404 → ModelNotFoundError, 400/422 → InvalidRequestError,
    429 → RateLimitedError (with ``retry_after_s``), 5xx → ServerError, else AdapterError.
    """
    detail = describe_error_body(body)
    message = f"{what} failed: HTTP {status}"
    if detail:
        message += f" ({detail})"
    retry_after_s = parse_retry_after(retry_after) if status == 429 else None
    if retry_after_s is not None:
        message += f"; retry after {retry_after_s:g}s"
    message = redact(message, secrets)
    if status in (401, 403):
        hint = "the access token" if status == 401 else "the workspace id"
        return AuthenticationError(f"{message}; check {hint}", status=status)
    if status == 404:
        return ModelNotFoundError(message, status=status)
    if status in (400, 422):
        return InvalidRequestError(message, status=status)
    if status == 429:
        return RateLimitedError(message, status=status, retry_after_s=retry_after_s)
    if 500 <= status <= 599:
        return ServerError(message, status=status)
    return AdapterError(message, status=status)


def _clip(text: str) -> str:
    if len(text) <= _MAX_DETAIL_CHARS:
        return text
    return text[: _MAX_DETAIL_CHARS - 1] + "…"
