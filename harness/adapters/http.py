"""HTTP plumbing of the Gradient LLMs: failures → AdapterErrors, and a per-loop aiohttp client.

The SDK (urllib3) and aiohttp paths share :func:`error_for_status`, so both raise the same
type with the same message. Messages are built from the status and the server's error body
only, never from request headers, and every known secret is masked out of them.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import AsyncGenerator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "MASK",
    "AsyncHttpClient",
    "describe_error_body",
    "error_for_status",
    "parse_retry_after",
    "redact",
    "urllib3_error",
]

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


def urllib3_error(exc: BaseException, *, what: str, host: str, timeout_s: float) -> AdapterError:
    """The AdapterError for a urllib3 transport failure (refused, timed out, dropped)."""
    import urllib3.exceptions as u3

    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, u3.NewConnectionError):  # before ConnectTimeoutError, its base class
        reason = str(exc).rsplit(": ", 1)[-1]
        return ConnectionFailedError(f"{what} failed: cannot connect to {host} ({reason})")
    if isinstance(exc, (u3.TimeoutError, TimeoutError)):
        return RequestTimeoutError(f"{what} got no answer within {timeout_s:g}s")
    return ConnectionFailedError(f"{what} failed: connection to {host} lost ({type(exc).__name__})")


@dataclass
class _LoopSession:
    session: aiohttp.ClientSession
    closer: AsyncGenerator[None, None] | None = None

    async def close(self) -> None:
        if self.closer is not None:
            await self.closer.aclose()  # runs its finally block: closes the session
        else:
            await self.session.close()


async def _close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    # Parked at its yield, this async generator is registered with the running loop, and
    # asyncio.run() calls loop.shutdown_asyncgens() before closing the loop: the finally block
    # then runs *inside* the loop, so the session is closed even when nobody awaited aclose().
    try:
        yield
    finally:
        await session.close()


class AsyncHttpClient:
    """JSON over HTTP with one ``aiohttp.ClientSession`` per event loop; failures as AdapterErrors.

    A session belongs to the loop that created it, so each loop using the client gets its own
    (a connector of ``connection_limit`` connections). Sessions are closed by :meth:`aclose`,
    by :meth:`close`, or when ``asyncio.run()`` shuts their loop down. A loop closed without
    ``shutdown_asyncgens()`` leaks its session (aiohttp then warns about it).
    """

    def __init__(self, *, connection_limit: int) -> None:
        self._connection_limit = connection_limit
        self._lock = threading.Lock()
        self._sessions: dict[asyncio.AbstractEventLoop, _LoopSession] = {}
        self._pending_closes: set[asyncio.Task[None]] = set()

    def sessions(self) -> list[aiohttp.ClientSession]:
        """The sessions currently held, one per loop (for introspection and tests)."""
        with self._lock:
            return [entry.session for entry in self._sessions.values()]

    async def request_json(
        self,
        method: str,
        base_url: str,
        path: str,
        *,
        what: str,
        headers: Mapping[str, str],
        timeout_s: float,
        secrets: Iterable[str | None] = (),
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request on this loop's session; the decoded JSON answer or an AdapterError.

        ``what`` names the operation in messages; ``timeout_s`` bounds the whole exchange.
        """
        import aiohttp

        session = await self.session()
        try:
            async with session.request(
                method,
                base_url + path,
                json=json_body,
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                status = response.status
                text = await response.text()
                retry_after = response.headers.get("Retry-After")
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestTimeoutError(f"{what} got no answer within {timeout_s:g}s") from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.strerror or type(exc.os_error).__name__
            raise ConnectionFailedError(
                f"{what} failed: cannot connect to {base_url} ({reason})"
            ) from None
        except aiohttp.ClientError as exc:
            raise ConnectionFailedError(
                f"{what} failed: connection to {base_url} lost ({type(exc).__name__})"
            ) from None
        if not 200 <= status <= 299:
            raise error_for_status(
                status, text, retry_after=retry_after, what=what, secrets=secrets
            )
        try:
            return json.loads(text)
        except ValueError:
            raise ServerError(
                f"{what} failed: the server's answer is not JSON", status=status
            ) from None

    async def session(self) -> aiohttp.ClientSession:
        """This loop's session, opened on first use and closed when the loop shuts down."""
        import aiohttp

        loop = asyncio.get_running_loop()
        with self._lock:
            for other in [lp for lp in self._sessions if lp.is_closed()]:
                del self._sessions[other]  # closed with its loop, or leaked by it
            entry = self._sessions.get(loop)
            if entry is not None and not entry.session.closed:
                return entry.session
            entry = _LoopSession(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._connection_limit))
            )
            self._sessions[loop] = entry
        # Starting the closer never suspends (nothing is awaited before its yield), so no other
        # task on this loop can observe the entry without it.
        entry.closer = _close_at_loop_shutdown(entry.session)
        await entry.closer.__anext__()
        return entry.session

    def close(self) -> None:
        """Close every session: awaited on idle loops, scheduled on running ones."""
        with self._lock:
            entries, self._sessions = self._sessions, {}
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for loop, entry in entries.items():
            if loop.is_closed() or entry.session.closed:
                continue
            if loop is running:
                task = loop.create_task(entry.close())
                self._pending_closes.add(task)
                task.add_done_callback(self._pending_closes.discard)
            elif loop.is_running():  # another thread's loop: hand the close to it
                asyncio.run_coroutine_threadsafe(entry.close(), loop)
            else:
                loop.run_until_complete(entry.close())

    async def aclose(self) -> None:
        """Close this loop's session (awaited), then the others as :meth:`close` does."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._sessions.pop(loop, None)
        if entry is not None:
            await entry.close()
        self.close()
