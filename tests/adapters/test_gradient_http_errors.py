"""Every HTTP failure → harness error, through the SDK and aiohttp alike, against a scripted server.

The emulator cannot produce some answers (400, 422 past the SDK's own validation, 502, a
leaked token, a malformed success), so a small stdlib HTTP server scripts them here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
from llama_index.core.llms import CompletionResponse

from harness.adapters.gradient import GradientBaseModelLLM, GradientModelAdapterLLM
from harness.errors import (
    AdapterError,
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    RateLimitedError,
    ServerError,
)

from .conftest import BASE_SLUG, TOKEN, UNKNOWN_ID, WORKSPACE, ScriptedServer


def adapter(server: ScriptedServer, **kwargs: Any) -> GradientModelAdapterLLM:
    return GradientModelAdapterLLM(
        model_adapter_id=UNKNOWN_ID,
        host=server.url,
        access_token=TOKEN,
        workspace_id=WORKSPACE,
        **kwargs,
    )


def sync_error(llm: GradientModelAdapterLLM) -> AdapterError:
    with pytest.raises(AdapterError) as info:
        llm.complete("hello")
    llm.close()
    return info.value


def async_error(llm: GradientModelAdapterLLM) -> AdapterError:
    async def main() -> None:
        try:
            await llm.acomplete("hello")
        finally:
            await llm.aclose()

    with pytest.raises(AdapterError) as info:
        asyncio.run(main())
    return info.value


PATHS = [pytest.param(sync_error, id="sync"), pytest.param(async_error, id="async")]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("status", "kind", "error_type"),
    [
        (400, "bodyParsingError", InvalidRequestError),
        (401, None, AuthenticationError),
        (403, None, AuthenticationError),
        (404, "unknownModelAdapter", ModelNotFoundError),
        (422, "unprocessableContent", InvalidRequestError),
        (429, "failed", RateLimitedError),
        (500, "failed", ServerError),
        (502, None, ServerError),
        (503, "failed", ServerError),
    ],
)
def test_status_maps_to_error_type(
    scripted: ScriptedServer,
    path: Any,
    status: int,
    kind: str | None,
    error_type: type[AdapterError],
) -> None:
    scripted.status = status
    scripted.body = {"message": f"scripted failure {status}"}
    if kind is not None:
        scripted.body["type"] = kind
    error = path(adapter(scripted))
    assert type(error) is error_type
    assert error.status == status
    message = str(error)
    assert f"completion with model adapter '{UNKNOWN_ID}' failed: HTTP {status}" in message
    assert f"scripted failure {status}" in message
    if kind is not None:
        assert kind in message


@pytest.mark.parametrize("path", PATHS)
def test_unexpected_status_is_a_plain_adapter_error(scripted: ScriptedServer, path: Any) -> None:
    scripted.status = 418
    scripted.body = {"message": "short and stout"}
    error = path(adapter(scripted))
    assert type(error) is AdapterError
    assert error.status == 418
    assert "HTTP 418 (short and stout)" in str(error)


@pytest.mark.parametrize("path", PATHS)
def test_retry_after_as_http_date(scripted: ScriptedServer, path: Any) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    scripted.status = 429
    scripted.body = {"type": "failed", "message": "slow down"}
    scripted.headers = {"Retry-After": format_datetime(when, usegmt=True)}
    error = path(adapter(scripted))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s is not None and 100 < error.retry_after_s <= 120


@pytest.mark.parametrize("path", PATHS)
def test_rate_limit_without_retry_after(scripted: ScriptedServer, path: Any) -> None:
    scripted.status = 429
    scripted.body = {"message": "slow down"}
    error = path(adapter(scripted))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s is None


@pytest.mark.parametrize("path", PATHS)
def test_a_token_echoed_by_the_server_is_masked(scripted: ScriptedServer, path: Any) -> None:
    scripted.status = 401
    scripted.body = {"message": "bad credentials"}
    scripted.echo_auth = True
    error = path(adapter(scripted))
    assert TOKEN not in str(error)
    assert "you sent Bearer ***" in str(error)
    assert TOKEN not in repr(error)
    # nothing a traceback would print (the chain of causes) holds the token either
    shown: BaseException | None = error
    while shown is not None:
        assert TOKEN not in str(shown)
        shown = shown.__cause__ or (None if shown.__suppress_context__ else shown.__context__)


@pytest.mark.parametrize("path", PATHS)
def test_non_json_error_body_is_quoted_briefly(scripted: ScriptedServer, path: Any) -> None:
    scripted.status = 502
    scripted.body = b"<html><body>Bad Gateway " + b"x" * 1000 + b"</body></html>"
    error = path(adapter(scripted))
    assert isinstance(error, ServerError)
    assert "HTTP 502 (<html><body>Bad Gateway" in str(error)
    assert len(str(error)) < 500


@pytest.mark.parametrize("path", PATHS)
def test_malformed_success_is_a_server_error(scripted: ScriptedServer, path: Any) -> None:
    scripted.status = 200
    scripted.body = {"unexpected": True}
    error = path(adapter(scripted))
    assert isinstance(error, ServerError)
    assert "does not match the Gradient API" in str(error)


# -- both paths send the same request ----------------------------------------------------------


def test_sync_and_async_send_the_same_request(scripted: ScriptedServer) -> None:
    options = {
        "temperature": 0.3,
        "top_k": 7,
        "top_p": 0.8,
        "auto_template": False,
        "guidance": {"type": "choice", "value": ["a", "b"]},
    }
    sync_llm = adapter(scripted, max_tokens=12)
    assert sync_llm.complete("hello", **options).text == "ok"
    sync_llm.close()
    async_llm = adapter(scripted, max_tokens=12)

    async def main() -> str:
        try:
            response: CompletionResponse = await async_llm.acomplete("hello", **options)
            return response.text
        finally:
            await async_llm.aclose()

    assert asyncio.run(main()) == "ok"
    lookup_sync, complete_sync, lookup_async, complete_async = scripted.requests
    for lookup in (lookup_sync, lookup_async):
        assert (lookup.method, lookup.path) == ("GET", f"/api/models/{UNKNOWN_ID}")
    for sent in (complete_sync, complete_async):
        assert (sent.method, sent.path) == ("POST", f"/api/models/{UNKNOWN_ID}/complete")
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"
        assert sent.headers["x-gradient-workspace-id"] == WORKSPACE
        assert sent.headers["content-type"].startswith("application/json")
    assert (
        complete_sync.body
        == complete_async.body
        == {
            "query": "hello",
            "maxGeneratedTokenCount": 12,
            "temperature": 0.3,
            "topK": 7,
            "topP": 0.8,
            "autoTemplate": False,
            "guidance": {"type": "choice", "value": ["a", "b"]},
        }
    )


def test_base_model_listing_request(scripted: ScriptedServer) -> None:
    llm = GradientBaseModelLLM(
        base_model_slug=BASE_SLUG, host=scripted.url, access_token=TOKEN, workspace_id=WORKSPACE
    )
    llm.complete("hi")
    llm.close()
    base_id = "b" * 36 + "_base_ml_model"
    fresh = GradientBaseModelLLM(
        base_model_slug=BASE_SLUG, host=scripted.url, access_token=TOKEN, workspace_id=WORKSPACE
    )

    async def run_fresh() -> None:
        try:
            await fresh.acomplete("hi")
        finally:
            await fresh.aclose()

    asyncio.run(run_fresh())
    paths = [(r.method, r.path) for r in scripted.requests]
    assert paths == [
        ("GET", "/api/models?capability=any&onlyBase=True"),
        ("POST", f"/api/models/{base_id}/complete"),
        ("GET", "/api/models?capability=any&onlyBase=True"),
        ("POST", f"/api/models/{base_id}/complete"),
    ]
