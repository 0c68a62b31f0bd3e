"""The Gradient API calls of the Gradient LLMs, without llama-index: settings, bodies, requests.

Settings come from arguments, else the environment; completion bodies are checked before any
request. Each call (complete, look up a model, find a base model by slug) exists twice: through
the ``gradientai`` SDK (sync) and as the same REST request over aiohttp (async). The async path
builds bodies and reads answers with ``gradient_wire`` and falls back to the SDK's own models for
anything that module does not recognise, so both paths send the same bodies, accept the same
answers and fail with the same errors, while a well-formed exchange never imports the SDK.
Failures become ``AdapterError``s without the token. The SDK is imported on first use.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from harness.adapters.gradient_options import MODEL_ID_LENGTH
from harness.adapters.gradient_wire import (
    base_model_ids,
    body_json,
    completion_fields,
    is_model_adapter,
)
from harness.adapters.http import AsyncHttpClient, error_for_status, redact, urllib3_error
from harness.errors import (
    AdapterError,
    ConfigurationError,
    ConnectionFailedError,
    InvalidRequestError,
    ModelNotFoundError,
    ServerError,
)

__all__ = [
    "COMPLETION_OPTIONS",
    "ENV_ACCESS_TOKEN",
    "ENV_HOST",
    "ENV_WORKSPACE_ID",
    "MODEL_ID_LENGTH",
    "SYNC_POOL_SIZE",
    "GradientSettings",
    "base_model_id",
    "base_model_id_answer",
    "base_model_id_async",
    "base_model_id_sync",
    "check_model_answer",
    "complete_async",
    "complete_sync",
    "completion_answer",
    "completion_body",
    "completion_json",
    "id_length_problems",
    "look_up_model_async",
    "look_up_model_sync",
    "read_settings",
    "sdk_models_api",
]

ENV_ACCESS_TOKEN = "GRADIENT_ACCESS_TOKEN"
ENV_WORKSPACE_ID = "GRADIENT_WORKSPACE_ID"
ENV_HOST = "GRADIENT_API_URL"

#: Model ids are exactly this long; the SDK rejects any other length client-side.
#: urllib3 connections kept per host by the sync path (the SDK's default is 4).
SYNC_POOL_SIZE = 64
#: Keyword arguments that complete/stream_complete/acomplete/astream_complete accept.
COMPLETION_OPTIONS = ("auto_template", "guidance", "max_tokens", "temperature", "top_k", "top_p")

_T = TypeVar("_T")


@dataclass(frozen=True)
class GradientSettings:
    """Where and as whom to call the API, resolved once per LLM; the token stays out of repr."""

    host: str
    workspace_id: str
    access_token: str = field(repr=False)


def read_settings(
    *,
    access_token: str | None,
    workspace_id: str | None,
    host: str | None,
    describe: str,
    model_problems: list[str],
) -> GradientSettings:
    """The settings from the arguments, else the environment; never makes a request.

    Args:
        describe: names the LLM in the message ("GradientModelAdapterLLM for model adapter …").
        model_problems: problems with the model reference, found without a request.

    Raises:
        ConfigurationError: listing every missing or impossible setting at once.
    """
    token = access_token or os.environ.get(ENV_ACCESS_TOKEN) or None
    workspace = workspace_id or os.environ.get(ENV_WORKSPACE_ID) or None
    host = host or os.environ.get(ENV_HOST) or None
    problems = []
    if token is None:
        problems.append(f"access_token is not set: pass access_token=... or set {ENV_ACCESS_TOKEN}")
    if workspace is None:
        problems.append(f"workspace_id is not set: pass workspace_id=... or set {ENV_WORKSPACE_ID}")
    if host is None:
        problems.append(
            f"host is not set: pass host=... or set {ENV_HOST} (the hosted Gradient service"
            " has shut down; point host at your deployment or the harness emulator)"
        )
    elif not host.startswith(("http://", "https://")):
        problems.append(f"host must be an http:// or https:// URL, got {host!r}")
    problems.extend(model_problems)
    if problems:
        raise ConfigurationError(
            redact(f"{describe} is not usable:\n  - " + "\n  - ".join(problems), [token])
        )
    assert token is not None and workspace is not None and host is not None
    return GradientSettings(host=host.rstrip("/"), workspace_id=workspace, access_token=token)


def id_length_problems(name: str, value: str) -> list[str]:
    """The problem with a model id of the wrong length, as the SDK would refuse it."""
    if len(value) == MODEL_ID_LENGTH:
        return []
    return [
        f"{name} must be exactly {MODEL_ID_LENGTH} characters long (the Gradient API's id"
        f" format, which the gradientai SDK enforces), got {len(value)}: {value!r}"
    ]


def completion_body(
    prompt: str, options: dict[str, Any], *, max_tokens: int | None, model_label: str
) -> Any:
    """The SDK's CompleteModelBodyParams for ``prompt``; validated before any request.

    ``options`` are the completion options of one call (see ``COMPLETION_OPTIONS``); its
    ``max_tokens`` overrides the LLM's. Returns Any: the SDK is untyped.

    Raises:
        ConfigurationError: an unknown option (with the nearest known one).
        InvalidRequestError: a value the API would refuse.
    """
    params = _completion_params(options, max_tokens=max_tokens, model_label=model_label)
    return _sdk_body(prompt, params, model_label=model_label)


def completion_json(
    prompt: str, options: dict[str, Any], *, max_tokens: int | None, model_label: str
) -> dict[str, Any]:
    """``completion_body(...).to_dict()``, the JSON the SDK would send, without the SDK.

    Only a value ``gradient_wire`` does not recognise (a refused one, or an unusual one the SDK
    still accepts) loads the SDK, so the body or the error is the SDK's own.

    Raises:
        ConfigurationError: an unknown option (with the nearest known one).
        InvalidRequestError: a value the API would refuse.
    """
    params = _completion_params(options, max_tokens=max_tokens, model_label=model_label)
    body = body_json(prompt, params)
    if body is None:
        sdk_json: dict[str, Any] = _sdk_body(prompt, params, model_label=model_label).to_dict()
        return sdk_json
    return body


def _completion_params(
    options: dict[str, Any], *, max_tokens: int | None, model_label: str
) -> dict[str, Any]:
    """The keyword arguments of CompleteModelBodyParams (other than ``query``) for ``options``."""
    unknown = sorted(set(options) - set(COMPLETION_OPTIONS))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, COMPLETION_OPTIONS, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigurationError(
            f"unknown completion option{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(hints)} for {model_label}; "
            f"expected one of: {', '.join(COMPLETION_OPTIONS)}"
        )
    params: dict[str, Any] = {
        name: options[name]
        for name in ("auto_template", "guidance", "temperature", "top_k", "top_p")
        if options.get(name) is not None
    }
    max_tokens = options.get("max_tokens", max_tokens)
    if max_tokens is not None:
        params["max_generated_token_count"] = max_tokens
    return params


def _sdk_body(prompt: str, params: dict[str, Any], *, model_label: str) -> Any:
    """The SDK's CompleteModelBodyParams, its validation errors as InvalidRequestError."""
    from gradientai.openapi.client.models.complete_model_body_params import (
        CompleteModelBodyParams,
    )
    from pydantic.v1 import ValidationError as V1ValidationError

    try:
        return CompleteModelBodyParams(query=prompt, **params)
    except V1ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidRequestError(
            f"invalid completion request for {model_label}: {problems}"
        ) from None


# -- sync path: the gradientai SDK ----------------------------------------------------------------


def sdk_models_api(settings: GradientSettings) -> tuple[Any, Any]:
    """A new SDK ``ApiClient`` and its ``ModelsApi`` (untyped SDK, hence Any)."""
    from gradientai.openapi.client.api.models_api import ModelsApi
    from gradientai.openapi.client.api_client import ApiClient
    from gradientai.openapi.client.configuration import Configuration

    # The generated SDK is unannotated, hence the no-untyped-call ignores.
    config = Configuration(  # type: ignore[no-untyped-call]
        access_token=settings.access_token, host=settings.host
    )
    config.connection_pool_maxsize = SYNC_POOL_SIZE
    # No silent urllib3 retries: one call is one request within `timeout`;
    # retrying is the runner's decision.
    config.retries = False
    api_client = ApiClient(config)  # type: ignore[no-untyped-call]
    return api_client, ModelsApi(api_client)  # type: ignore[no-untyped-call]


def complete_sync(
    models_api: Any,
    settings: GradientSettings,
    model_id: str,
    body: Any,
    *,
    what: str,
    timeout_s: float,
) -> tuple[str, str]:
    """``POST /models/{id}/complete`` through the SDK: the generated text and finish reason."""
    result = _call_sdk(
        what,
        lambda: models_api.complete_model(
            id=model_id,
            x_gradient_workspace_id=settings.workspace_id,
            complete_model_body_params=body,
            _request_timeout=timeout_s,
        ),
        settings,
        timeout_s,
    )
    return result.generated_output, result.finish_reason


def look_up_model_sync(
    models_api: Any, settings: GradientSettings, model_id: str, *, what: str, timeout_s: float
) -> None:
    """``GET /models/{id}`` through the SDK: raises unless the model exists."""
    _call_sdk(
        what,
        lambda: models_api.get_model(
            id=model_id, x_gradient_workspace_id=settings.workspace_id, _request_timeout=timeout_s
        ),
        settings,
        timeout_s,
    )


def base_model_id_sync(
    models_api: Any, settings: GradientSettings, slug: str, *, what: str, timeout_s: float
) -> str:
    """The id of the base model ``slug``, from the SDK's listing of base models."""
    listing = _call_sdk(
        what,
        lambda: models_api.list_models(
            x_gradient_workspace_id=settings.workspace_id,
            # as the SDK's Gradient.get_base_model does; the API's default is fineTune
            capability="any",
            only_base=True,
            _request_timeout=timeout_s,
        ),
        settings,
        timeout_s,
    )
    return base_model_id(listing, slug)


def _call_sdk(
    what: str, call: Callable[[], _T], settings: GradientSettings, timeout_s: float
) -> _T:
    """Run one SDK call, mapping its exceptions to AdapterErrors (never using their str)."""
    import urllib3.exceptions as u3
    from gradientai.openapi.client.exceptions import ApiException

    try:
        return call()
    except ApiException as exc:
        if not exc.status:  # status 0: TLS failure or a request the SDK could not build
            error: AdapterError = ConnectionFailedError(
                f"{what} failed: cannot reach {settings.host}"
            )
        else:
            headers = exc.headers or {}
            error = error_for_status(
                int(exc.status),
                exc.body,
                retry_after=headers.get("Retry-After"),
                what=what,
                secrets=[settings.access_token],
            )
    except u3.HTTPError as exc:
        error = urllib3_error(exc, what=what, host=settings.host, timeout_s=timeout_s)
    except ValueError as exc:  # includes pydantic.v1 ValidationError of the response
        error = ServerError(
            f"{what} failed: the server's answer does not match the Gradient API "
            f"({type(exc).__name__})",
            status=200,
        )
    raise error from None


# -- async path: the same REST calls over aiohttp -------------------------------------------------


async def complete_async(
    http: AsyncHttpClient,
    settings: GradientSettings,
    model_id: str,
    body: dict[str, Any],
    *,
    what: str,
    timeout_s: float,
) -> tuple[str, str]:
    """Like ``complete_sync``, over ``http`` on the running loop (``body``: ``completion_json``)."""
    path = f"/models/{quote(model_id, safe='')}/complete"
    data = await _rest_call(http, settings, "POST", path, what, timeout_s=timeout_s, json_body=body)
    return completion_answer(what, data)


async def look_up_model_async(
    http: AsyncHttpClient, settings: GradientSettings, model_id: str, *, what: str, timeout_s: float
) -> None:
    """Like ``look_up_model_sync``, over ``http`` on the running loop."""
    path = f"/models/{quote(model_id, safe='')}"
    data = await _rest_call(http, settings, "GET", path, what, timeout_s=timeout_s)
    check_model_answer(what, data)


async def base_model_id_async(
    http: AsyncHttpClient, settings: GradientSettings, slug: str, *, what: str, timeout_s: float
) -> str:
    """Like ``base_model_id_sync``, over ``http`` on the running loop."""
    # The query string the SDK sends, byte for byte: its bool goes through str() ("True").
    params = {"capability": "any", "onlyBase": "True"}
    data = await _rest_call(
        http, settings, "GET", "/models", what, timeout_s=timeout_s, params=params
    )
    return base_model_id_answer(what, data, slug)


async def _rest_call(
    http: AsyncHttpClient,
    settings: GradientSettings,
    method: str,
    path: str,
    what: str,
    *,
    timeout_s: float,
    json_body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Any:
    """One REST call as the SDK makes it (same URL, headers, body); the decoded JSON answer."""
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {settings.access_token}",
        "x-gradient-workspace-id": settings.workspace_id,
    }
    return await http.request_json(
        method,
        settings.host,
        path,
        what=what,
        headers=headers,
        timeout_s=timeout_s,
        secrets=[settings.access_token],
        json_body=json_body,
        params=params,
    )


# -- answers of the async path: gradient_wire, else the SDK's own models --------------------------


def completion_answer(what: str, data: Any) -> tuple[str, str]:
    """The generated text and finish reason of a ``POST /models/{id}/complete`` answer."""
    fields = completion_fields(data)
    if fields is not None:
        return fields
    from gradientai.openapi.client.models.complete_model_success import CompleteModelSuccess

    result = _parse_answer(what, CompleteModelSuccess.from_dict, data)
    return result.generated_output, result.finish_reason


def check_model_answer(what: str, data: Any) -> None:
    """Accept a ``GET /models/{id}`` answer as the SDK does (raises if it would)."""
    if is_model_adapter(data):
        return
    from gradientai.openapi.client.models.get_model_success import GetModelSuccess

    _parse_answer(what, GetModelSuccess.from_dict, data)


def base_model_id_answer(what: str, data: Any, slug: str) -> str:
    """The id of the base model ``slug`` in a ``GET /models`` answer (see ``base_model_id``)."""
    found = base_model_ids(data)
    if found is None:
        from gradientai.openapi.client.models.list_models_success import ListModelsSuccess

        found = _slug_ids(_parse_answer(what, ListModelsSuccess.from_dict, data))
    return _pick_base_model(found, slug)


def _parse_answer(what: str, parse: Callable[[Any], _T], data: Any) -> _T:
    """Parse a JSON answer with the SDK's own model, so both paths accept the same answers."""
    try:
        return parse(data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ServerError(
            f"{what} failed: the server's answer does not match the Gradient API "
            f"({type(exc).__name__})",
            status=200,
        ) from None


def base_model_id(listing: Any, slug: str) -> str:
    """The id of the model whose slug is ``slug``, from a ListModelsSuccess.

    Raises:
        ModelNotFoundError: no model has that slug (with the nearest one and all available).
    """
    return _pick_base_model(_slug_ids(listing), slug)


def _slug_ids(listing: Any) -> list[tuple[str, str]]:
    """The ``(slug, id)`` of each model with a slug in a ListModelsSuccess, in listing order."""
    found = []
    for entry in listing.models:
        model = getattr(entry, "actual_instance", entry)
        model_slug = getattr(model, "slug", None)
        if model_slug is not None:
            found.append((model_slug, model.id))
    return found


def _pick_base_model(slug_ids: list[tuple[str, str]], slug: str) -> str:
    """The id for ``slug`` (the last listed wins); ModelNotFoundError names the alternatives."""
    ids_by_slug = dict(slug_ids)
    model_id = ids_by_slug.get(slug)
    if model_id is None:
        close = difflib.get_close_matches(slug, list(ids_by_slug), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        available = ", ".join(sorted(ids_by_slug)) or "none"
        raise ModelNotFoundError(f"unknown base model slug {slug!r}{hint}; available: {available}")
    return model_id
