"""The harness's exception tree; errors a user can fix render as messages, never tracebacks.

    HarnessError
    ├── SuiteError                 bad suite / config input; carries every Location at once
    ├── ConfigurationError         an adapter cannot be built (missing token, host, bad option)
    └── AdapterError               one request to a model failed; fails its case, not the run
        ├── AuthenticationError    401 / 403
        ├── ModelNotFoundError     404, unknown model id or slug
        ├── InvalidRequestError    400 / 422
        ├── RateLimitedError       429, with ``retry_after_s`` when the server sent Retry-After
        ├── ServerError            5xx
        ├── RequestTimeoutError    no answer within the adapter's timeout
        └── ConnectionFailedError  the server could not be reached

No message built here ever contains an access token: adapter errors are built from the
HTTP status and the server's error body only, never from request headers.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AdapterError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectionFailedError",
    "HarnessError",
    "InvalidRequestError",
    "Location",
    "ModelNotFoundError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "SuiteError",
]


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


@dataclass(frozen=True)
class Location:
    """Where in which file a problem is; ``line``/``column`` are 1-based, 0 when unknown."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class SuiteError(HarnessError):
    """A suite (or emulator config) is invalid; holds all problems found, sorted by position."""

    def __init__(self, locations: list[Location]) -> None:
        # Duplicates dropped in first-seen order, then a stable sort: ties keep the order they
        # were found in, so the same suite always gives the same message.
        unique = dict.fromkeys(locations)
        self.locations = sorted(unique, key=lambda loc: (loc.file, loc.line, loc.column))
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(loc) for loc in self.locations]
        files = {loc.file for loc in self.locations}
        n = len(self.locations)
        lines.append(
            f"{n} error{'s' if n != 1 else ''} in {len(files)} file{'s' if len(files) != 1 else ''}"
            "; nothing was run."
        )
        return "\n".join(lines)


class ConfigurationError(HarnessError, ValueError):
    """An adapter is missing a setting (token, host, workspace) or has an impossible one."""


class AdapterError(HarnessError):
    """A request to a model failed. ``status`` is the HTTP status when there was one."""

    kind = "adapter_error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(AdapterError):
    """The server refused the credentials (401) or the workspace (403)."""

    kind = "authentication"


class ModelNotFoundError(AdapterError):
    """The model id or slug does not exist on the server."""

    kind = "not_found"


class InvalidRequestError(AdapterError):
    """The server rejected the request body or parameters (400 / 422)."""

    kind = "invalid_request"


class RateLimitedError(AdapterError):
    """The server asked us to slow down (429)."""

    kind = "rate_limited"

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after_s = retry_after_s


class ServerError(AdapterError):
    """The server failed (5xx)."""

    kind = "server_error"


class RequestTimeoutError(AdapterError):
    """No complete answer arrived within the adapter's timeout."""

    kind = "timeout"


class ConnectionFailedError(AdapterError):
    """The server could not be reached at all."""

    kind = "connection"
