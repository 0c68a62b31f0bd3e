"""harness.adapters.http: Retry-After parsing, error-body descriptions, status mapping, masking."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harness.adapters.http import (
    describe_error_body,
    error_for_status,
    parse_retry_after,
    redact,
    urllib3_error,
)
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

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # in the past: retry now
        ("-3", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"type": "unknownModelAdapter", "message": "no such adapter"}',
            "unknownModelAdapter: no such adapter",
        ),
        ('{"message": "invalid access token"}', "invalid access token"),
        (b'{"type": "failed"}', "failed"),
        ('{"detail": "nope"}', "nope"),
        ("plain   text\nerror", "plain text error"),
        ("[1, 2]", "[1, 2]"),
        ("", ""),
        (None, ""),
    ],
)
def test_describe_error_body(body: str | bytes | None, expected: str) -> None:
    assert describe_error_body(body) == expected


def test_describe_error_body_clips_long_bodies() -> None:
    described = describe_error_body("x" * 5000)
    assert len(described) == 300
    assert described.endswith("…")


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, ModelNotFoundError),
        (409, AdapterError),
        (422, InvalidRequestError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
        (599, ServerError),
        (302, AdapterError),
    ],
)
def test_error_for_status(status: int, error_type: type[AdapterError]) -> None:
    error = error_for_status(
        status, '{"type": "t", "message": "m"}', retry_after=None, what="completion with X"
    )
    assert type(error) is error_type
    assert error.status == status
    assert str(error).startswith(f"completion with X failed: HTTP {status} (t: m)")


def test_rate_limit_reads_retry_after() -> None:
    error = error_for_status(429, None, retry_after="12", what="w")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s == 12.0
    assert str(error) == "w failed: HTTP 429; retry after 12s"


def test_retry_after_is_ignored_for_other_statuses() -> None:
    error = error_for_status(503, None, retry_after="12", what="w")
    assert str(error) == "w failed: HTTP 503"


def test_secrets_are_masked_in_messages() -> None:
    error = error_for_status(
        401,
        '{"message": "token sk-abc is revoked"}',
        retry_after=None,
        what="w",
        secrets=["sk-abc", None, ""],
    )
    assert "sk-abc" not in str(error)
    assert "token *** is revoked" in str(error)


def test_redact() -> None:
    assert redact("a sk-1 b sk-1 c", ["sk-1"]) == "a *** b *** c"
    assert redact("unchanged", [None, ""]) == "unchanged"


def test_urllib3_errors() -> None:
    import urllib3.exceptions as u3

    message = "Failed to establish a new connection: [Errno 111] Connection refused"
    refused = u3.NewConnectionError(None, message)  # type: ignore[arg-type]
    error = urllib3_error(refused, what="w", host="http://h/api", timeout_s=1)
    assert isinstance(error, ConnectionFailedError)
    assert str(error) == "w failed: cannot connect to http://h/api ([Errno 111] Connection refused)"

    wrapped = u3.MaxRetryError(None, "/x", reason=refused)  # type: ignore[arg-type]
    assert isinstance(
        urllib3_error(wrapped, what="w", host="h", timeout_s=1), ConnectionFailedError
    )

    timeout = u3.ReadTimeoutError(None, "/x", "Read timed out.")  # type: ignore[arg-type]
    error = urllib3_error(timeout, what="w", host="h", timeout_s=0.5)
    assert isinstance(error, RequestTimeoutError)
    assert str(error) == "w got no answer within 0.5s"

    dropped = u3.ProtocolError("Connection aborted.")
    error = urllib3_error(dropped, what="w", host="h", timeout_s=1)
    assert isinstance(error, ConnectionFailedError)
    assert "connection to h lost (ProtocolError)" in str(error)
