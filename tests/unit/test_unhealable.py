"""Which errors stop an adapter (fail fast): refused credentials and missing models only."""

from __future__ import annotations

import httpx
import openai
import pytest

from harness.errors import (
    AuthenticationError,
    ConnectionFailedError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from harness.runner.drive import unhealable_kind


def _openai(cls: type[openai.APIStatusError], status: int) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/completions")
    return cls("refused", response=httpx.Response(status, request=request), body=None)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (AuthenticationError("invalid access token", status=401), "authentication"),
        (AuthenticationError("no access to the workspace", status=403), "authentication"),
        (ModelNotFoundError("no such model", status=404), "model not found"),
        (_openai(openai.AuthenticationError, 401), "authentication"),
        (_openai(openai.PermissionDeniedError, 403), "authentication"),
        (_openai(openai.NotFoundError, 404), "model not found"),
        (RateLimitedError("slow down"), None),
        (ServerError("boom", status=500), None),
        (InvalidRequestError("bad body", status=422), None),
        (RequestTimeoutError("no answer"), None),
        (ConnectionFailedError("cannot connect"), None),
        (_openai(openai.RateLimitError, 429), None),
        (_openai(openai.InternalServerError, 500), None),
        (TimeoutError(), None),
        (ValueError("x"), None),
    ],
)
def test_unhealable_kind(exc: BaseException, kind: str | None) -> None:
    assert unhealable_kind(exc) == kind
