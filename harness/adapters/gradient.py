"""llama-index LLMs for Gradient model adapters and base models, over `gradientai` and aiohttp.

Behaviour in short (details in the class docstrings):

- Constructing an LLM makes no network call and reads no environment variable. The settings
  (``access_token``, ``workspace_id``, ``host``, falling back to ``GRADIENT_ACCESS_TOKEN``,
  ``GRADIENT_WORKSPACE_ID``, ``GRADIENT_API_URL``) are resolved at first use, or when
  ``validate_settings()`` is called, and kept for the LLM's life. There is no default host: the
  hosted Gradient service has shut down.
- The model is resolved on first use (adapter: ``GET /models/{id}``; base model: the slug among
  ``GET /models?capability=any&onlyBase=True``) and cached.
- Every failure is a ``harness.errors`` type (ConfigurationError before any request, AdapterError
  subclasses after); no message, repr or str contains the access token.
- The sync path calls the real SDK; the async path speaks the same REST API through one
  ``aiohttp.ClientSession`` per event loop, so it neither blocks the loop nor inherits the SDK's
  cap of 8 requests in flight.
- Gradient answers in one piece: streaming yields a single chunk (``streaming_emulated = True``).
"""

from __future__ import annotations

import asyncio
import difflib
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

from llama_index.core.base.llms.generic_utils import (
    astream_completion_response_to_chat_response,
    completion_response_to_chat_response,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import ConfigDict, Field, GetJsonSchemaHandler, PrivateAttr
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from harness.adapters.http import MASK, AsyncHttpClient, error_for_status, redact, urllib3_error
from harness.errors import (
    AdapterError,
    ConfigurationError,
    ConnectionFailedError,
    InvalidRequestError,
    ModelNotFoundError,
    ServerError,
)

__all__ = [
    "ASYNC_CONNECTION_LIMIT",
    "COMPLETION_OPTIONS",
    "CONTEXT_WINDOW",
    "DEFAULT_NUM_OUTPUT",
    "DEFAULT_TIMEOUT_S",
    "ENV_ACCESS_TOKEN",
    "ENV_HOST",
    "ENV_WORKSPACE_ID",
    "MODEL_ID_LENGTH",
    "SYNC_POOL_SIZE",
    "GradientBaseModelLLM",
    "GradientModelAdapterLLM",
]

ENV_ACCESS_TOKEN = "GRADIENT_ACCESS_TOKEN"
ENV_WORKSPACE_ID = "GRADIENT_WORKSPACE_ID"
ENV_HOST = "GRADIENT_API_URL"

#: Context window reported in ``metadata``: the 4k window of the Llama-2-family models Gradient
#: served. The API does not report one, so this is documentation, not a limit we enforce.
CONTEXT_WINDOW = 4096
#: ``metadata.num_output`` when ``max_tokens`` is None (llama-index's own default).
DEFAULT_NUM_OUTPUT = 256
DEFAULT_TIMEOUT_S = 60.0
#: Model ids are exactly this long; the SDK rejects any other length client-side.
MODEL_ID_LENGTH = 50
#: urllib3 connections kept per host by the sync path (the SDK's default is 4).
SYNC_POOL_SIZE = 64
#: Simultaneous connections of the async path, per event loop.
ASYNC_CONNECTION_LIMIT = 256
#: Keyword arguments that complete/stream_complete/acomplete/astream_complete accept.
COMPLETION_OPTIONS = ("auto_template", "guidance", "max_tokens", "temperature", "top_k", "top_p")

_T = TypeVar("_T")

# Fields rendered like the reference (pydantic v1) schema: their type, not required, default null.
_NULLABLE_FIELDS = ("max_tokens", "access_token", "host", "workspace_id")


@dataclass(frozen=True)
class _Settings:
    host: str
    workspace_id: str
    access_token: str = field(repr=False)


class _GradientLLM(CustomLLM):
    """Fields and transport shared by the Gradient model-adapter and base-model LLMs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: Gradient returns the whole text at once; the one chunk's arrival time is not a real TTFT.
    streaming_emulated: ClassVar[bool] = True

    max_tokens: int | None = Field(
        default=None, description="The number of tokens to generate.", gt=0, lt=512
    )
    access_token: str | None = Field(default=None, description="The Gradient access token to use.")
    host: str | None = Field(default=None, description="The url of the Gradient service to access.")
    workspace_id: str | None = Field(default=None, description="The Gradient workspace id to use.")
    is_chat_model: bool = Field(default=False, description="Whether the model is a chat model.")
    timeout: float = Field(
        default=DEFAULT_TIMEOUT_S,
        description="The bound on one request, in seconds.",
        gt=0,
        allow_inf_nan=False,
    )

    _lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)
    _resolve_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _settings: _Settings | None = PrivateAttr(default=None)
    _api_client: Any = PrivateAttr(default=None)  # gradientai ApiClient (untyped SDK)
    _models_api: Any = PrivateAttr(default=None)  # gradientai ModelsApi (untyped SDK)
    _model_id: str | None = PrivateAttr(default=None)
    _http: AsyncHttpClient = PrivateAttr(
        default_factory=lambda: AsyncHttpClient(connection_limit=ASYNC_CONNECTION_LIMIT)
    )
    _resolve_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
        PrivateAttr(default_factory=weakref.WeakKeyDictionary)
    )

    # -- subclass hooks -------------------------------------------------------------------------

    @property
    def _model_name(self) -> str:
        raise NotImplementedError

    @property
    def _model_label(self) -> str:
        """How messages name the model, e.g. "model adapter '…'"."""
        raise NotImplementedError

    def _model_problems(self) -> list[str]:
        """Problems with the model reference itself, found without a request."""
        return []

    def _resolve_model_sync(self, settings: _Settings, models_api: Any) -> str:
        raise NotImplementedError

    async def _resolve_model_async(self, settings: _Settings) -> str:
        raise NotImplementedError

    # -- pydantic ---------------------------------------------------------------------------------

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = super().__get_pydantic_json_schema__(core_schema, handler)
        properties = schema.get("properties", {})
        for name in _NULLABLE_FIELDS:
            prop = properties.get(name)
            if prop is None or "anyOf" not in prop:
                continue
            branches = [b for b in prop["anyOf"] if b != {"type": "null"}]
            if len(branches) == 1:
                del prop["anyOf"]
                prop.update(branches[0])
        return schema

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, (MASK if name == "access_token" and value else value)

    @classmethod
    def class_name(cls) -> str:
        return cls.__name__

    # -- settings ---------------------------------------------------------------------------------

    def validate_settings(self) -> None:
        """Resolve the settings now (arguments, else environment); never makes a request.

        Raises:
            ConfigurationError: listing every missing or impossible setting at once.
        """
        self._get_settings()

    def _get_settings(self) -> _Settings:
        with self._lock:
            if self._settings is None:
                self._settings = self._read_settings()
            return self._settings

    def _read_settings(self) -> _Settings:
        token = self.access_token or os.environ.get(ENV_ACCESS_TOKEN) or None
        workspace = self.workspace_id or os.environ.get(ENV_WORKSPACE_ID) or None
        host = self.host or os.environ.get(ENV_HOST) or None
        problems = []
        if token is None:
            problems.append(
                f"access_token is not set: pass access_token=... or set {ENV_ACCESS_TOKEN}"
            )
        if workspace is None:
            problems.append(
                f"workspace_id is not set: pass workspace_id=... or set {ENV_WORKSPACE_ID}"
            )
        if host is None:
            problems.append(
                f"host is not set: pass host=... or set {ENV_HOST} (the hosted Gradient service"
                " has shut down; point host at your deployment or the harness emulator)"
            )
        elif not host.startswith(("http://", "https://")):
            problems.append(f"host must be an http:// or https:// URL, got {host!r}")
        problems.extend(self._model_problems())
        if problems:
            raise ConfigurationError(
                redact(
                    f"{type(self).__name__} for {self._model_label} is not usable:\n  - "
                    + "\n  - ".join(problems),
                    [token],
                )
            )
        assert token is not None and workspace is not None and host is not None
        return _Settings(host=host.rstrip("/"), workspace_id=workspace, access_token=token)

    # -- llama-index interface --------------------------------------------------------------------

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=CONTEXT_WINDOW,
            num_output=self.max_tokens if self.max_tokens is not None else DEFAULT_NUM_OUTPUT,
            is_chat_model=self.is_chat_model,
            model_name=self._model_name,
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete ``prompt``; kwargs are completion options (see ``COMPLETION_OPTIONS``)."""
        return self._complete_sync(self._format(prompt, formatted), kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Yield the whole completion as one chunk (``delta == text``); sent on first ``next()``."""
        prompt = self._format(prompt, formatted)

        def gen() -> CompletionResponseGen:
            response = self._complete_sync(prompt, kwargs)
            response.delta = response.text
            yield response

        return gen()

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Like ``complete``, over aiohttp on the running loop (no thread, no cap of 8)."""
        return await self._complete_async(self._format(prompt, formatted), kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Like ``stream_complete``, over aiohttp: one chunk, requested on first iteration."""
        prompt = self._format(prompt, formatted)

        async def gen() -> CompletionResponseAsyncGen:
            response = await self._complete_async(prompt, kwargs)
            response.delta = response.text
            yield response

        return gen()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        # CustomLLM.achat calls the blocking chat(); go through acomplete instead.
        prompt = self._messages_prompt(messages)
        response = await self.acomplete(prompt, formatted=True, **kwargs)
        return completion_response_to_chat_response(response)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        prompt = self._messages_prompt(messages)
        return astream_completion_response_to_chat_response(
            await self.astream_complete(prompt, formatted=True, **kwargs)
        )

    def close(self) -> None:
        """Release connections: the SDK's pool, and the aiohttp session of every event loop."""
        with self._lock:
            client, self._api_client, self._models_api = self._api_client, None, None
        if client is not None:
            client.rest_client.pool_manager.clear()
            client.close()
        self._http.close()

    async def aclose(self) -> None:
        """Like ``close``, awaiting the close of the running loop's session."""
        await self._http.aclose()
        self.close()

    async def aprepare(self) -> None:
        """Check the settings and resolve the model now (one lookup request).

        The harness runner calls this before it starts the clock, so that the first timed
        completion does not carry the lookup; the errors are those of first use.
        """
        self._get_settings()
        await self._model_id_async()

    # -- shared request logic ---------------------------------------------------------------------

    def _format(self, prompt: str, formatted: bool) -> str:
        if formatted:
            return prompt
        assert self.completion_to_prompt is not None  # LLM's validator sets a default
        return self.completion_to_prompt(prompt)

    def _messages_prompt(self, messages: Sequence[ChatMessage]) -> str:
        assert self.messages_to_prompt is not None  # LLM's validator sets a default
        return self.messages_to_prompt(messages)

    def _what(self, action: str) -> str:
        return f"{action} with {self._model_label}"

    def _body(self, prompt: str, options: dict[str, Any]) -> Any:
        """The SDK's CompleteModelBodyParams for ``prompt``; validated before any request."""
        from gradientai.openapi.client.models.complete_model_body_params import (
            CompleteModelBodyParams,
        )
        from pydantic.v1 import ValidationError as V1ValidationError

        unknown = sorted(set(options) - set(COMPLETION_OPTIONS))
        if unknown:
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, COMPLETION_OPTIONS, n=1)
                hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ConfigurationError(
                f"unknown completion option{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(hints)} for {self._model_label}; "
                f"expected one of: {', '.join(COMPLETION_OPTIONS)}"
            )
        params: dict[str, Any] = {
            name: options[name]
            for name in ("auto_template", "guidance", "temperature", "top_k", "top_p")
            if options.get(name) is not None
        }
        max_tokens = options.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["max_generated_token_count"] = max_tokens
        try:
            return CompleteModelBodyParams(query=prompt, **params)
        except V1ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidRequestError(
                f"invalid completion request for {self._model_label}: {problems}"
            ) from None

    def _to_response(self, generated_output: str, finish_reason: str) -> CompletionResponse:
        return CompletionResponse(
            text=generated_output,
            raw={"generatedOutput": generated_output, "finishReason": finish_reason},
            additional_kwargs={"finish_reason": finish_reason},
        )

    # -- sync path: the gradientai SDK ------------------------------------------------------------

    def _sync_api(self) -> tuple[_Settings, Any]:
        settings = self._get_settings()
        with self._lock:
            if self._models_api is None:
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
                self._api_client = ApiClient(config)  # type: ignore[no-untyped-call]
                self._models_api = ModelsApi(self._api_client)  # type: ignore[no-untyped-call]
            return settings, self._models_api

    def _model_id_sync(self) -> str:
        if self._model_id is None:
            with self._resolve_lock:
                if self._model_id is None:
                    settings, models_api = self._sync_api()
                    self._model_id = self._resolve_model_sync(settings, models_api)
        return self._model_id

    def _complete_sync(self, prompt: str, options: dict[str, Any]) -> CompletionResponse:
        self._get_settings()
        body = self._body(prompt, options)
        model_id = self._model_id_sync()
        settings, models_api = self._sync_api()
        result = self._sdk_call(
            self._what("completion"),
            lambda: models_api.complete_model(
                id=model_id,
                x_gradient_workspace_id=settings.workspace_id,
                complete_model_body_params=body,
                _request_timeout=self.timeout,
            ),
        )
        return self._to_response(result.generated_output, result.finish_reason)

    def _sdk_call(self, what: str, call: Callable[[], _T]) -> _T:
        """Run one SDK call, mapping its exceptions to AdapterErrors (never using their str)."""
        import urllib3.exceptions as u3
        from gradientai.openapi.client.exceptions import ApiException

        settings = self._get_settings()
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
            error = urllib3_error(exc, what=what, host=settings.host, timeout_s=self.timeout)
        except ValueError as exc:  # includes pydantic.v1 ValidationError of the response
            error = ServerError(
                f"{what} failed: the server's answer does not match the Gradient API "
                f"({type(exc).__name__})",
                status=200,
            )
        raise error from None

    # -- async path: aiohttp ----------------------------------------------------------------------

    async def _model_id_async(self) -> str:
        if self._model_id is None:
            loop = asyncio.get_running_loop()
            with self._lock:
                lock = self._resolve_locks.setdefault(loop, asyncio.Lock())
            async with lock:  # one lookup, however many requests start at once
                if self._model_id is None:
                    self._model_id = await self._resolve_model_async(self._get_settings())
        return self._model_id

    async def _complete_async(self, prompt: str, options: dict[str, Any]) -> CompletionResponse:
        from gradientai.openapi.client.models.complete_model_success import (
            CompleteModelSuccess,
        )

        self._get_settings()
        body = self._body(prompt, options)
        model_id = await self._model_id_async()
        what = self._what("completion")
        data = await self._request(
            "POST", f"/models/{quote(model_id, safe='')}/complete", what, json_body=body.to_dict()
        )
        result = _parse(what, CompleteModelSuccess.from_dict, data)
        return self._to_response(result.generated_output, result.finish_reason)

    async def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """One REST call as the SDK makes it (same URL, headers, body); the decoded JSON answer."""
        settings = self._get_settings()
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.access_token}",
            "x-gradient-workspace-id": settings.workspace_id,
        }
        return await self._http.request_json(
            method,
            settings.host,
            path,
            what=what,
            headers=headers,
            timeout_s=self.timeout,
            secrets=[settings.access_token],
            json_body=json_body,
            params=params,
        )


class GradientModelAdapterLLM(_GradientLLM):
    """A Gradient model adapter (fine-tuned model) as a llama-index LLM.

    Matches llama-index's ``GradientModelAdapterLLM`` field for field, plus ``timeout``.
    Optional fields appear in the JSON schema as the reference shows them (pydantic v1 style):
    their type, absent from ``required``, default null.
    """

    model_adapter_id: str = Field(description="The id of the model adapter to use.")

    @property
    def _model_name(self) -> str:
        return self.model_adapter_id

    @property
    def _model_label(self) -> str:
        return f"model adapter {self.model_adapter_id!r}"

    def _model_problems(self) -> list[str]:
        return _id_length_problems("model_adapter_id", self.model_adapter_id)

    def _resolve_model_sync(self, settings: _Settings, models_api: Any) -> str:
        self._sdk_call(
            self._what("lookup"),
            lambda: models_api.get_model(
                id=self.model_adapter_id,
                x_gradient_workspace_id=settings.workspace_id,
                _request_timeout=self.timeout,
            ),
        )
        return self.model_adapter_id

    async def _resolve_model_async(self, settings: _Settings) -> str:
        from gradientai.openapi.client.models.get_model_success import GetModelSuccess

        what = self._what("lookup")
        data = await self._request("GET", f"/models/{quote(self.model_adapter_id, safe='')}", what)
        _parse(what, GetModelSuccess.from_dict, data)
        return self.model_adapter_id


class GradientBaseModelLLM(_GradientLLM):
    """A Gradient base model, named by its slug, as a llama-index LLM.

    Same fields as ``GradientModelAdapterLLM`` with ``base_model_slug`` instead of
    ``model_adapter_id``; the slug is resolved to the model's id on first use.
    """

    base_model_slug: str = Field(description="The slug of the base model to use.")

    @property
    def _model_name(self) -> str:
        return self.base_model_slug

    @property
    def _model_label(self) -> str:
        return f"base model {self.base_model_slug!r}"

    def _resolve_model_sync(self, settings: _Settings, models_api: Any) -> str:
        listing = self._sdk_call(
            self._what("listing base models for"),
            lambda: models_api.list_models(
                x_gradient_workspace_id=settings.workspace_id,
                # as the SDK's Gradient.get_base_model does; the API's default is fineTune
                capability="any",
                only_base=True,
                _request_timeout=self.timeout,
            ),
        )
        return self._pick(listing)

    async def _resolve_model_async(self, settings: _Settings) -> str:
        from gradientai.openapi.client.models.list_models_success import ListModelsSuccess

        what = self._what("listing base models for")
        # The query string the SDK sends, byte for byte: its bool goes through str() ("True").
        params = {"capability": "any", "onlyBase": "True"}
        data = await self._request("GET", "/models", what, params=params)
        return self._pick(_parse(what, ListModelsSuccess.from_dict, data))

    def _pick(self, listing: Any) -> str:
        """The id of the model whose slug is ``base_model_slug``, from a ListModelsSuccess."""
        ids_by_slug: dict[str, str] = {}
        for entry in listing.models:
            model = getattr(entry, "actual_instance", entry)
            slug = getattr(model, "slug", None)
            if slug is not None:
                ids_by_slug[slug] = model.id
        model_id = ids_by_slug.get(self.base_model_slug)
        if model_id is None:
            close = difflib.get_close_matches(self.base_model_slug, list(ids_by_slug), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            available = ", ".join(sorted(ids_by_slug)) or "none"
            raise ModelNotFoundError(
                f"unknown base model slug {self.base_model_slug!r}{hint}; available: {available}"
            )
        return model_id


def _id_length_problems(name: str, value: str) -> list[str]:
    if len(value) == MODEL_ID_LENGTH:
        return []
    return [
        f"{name} must be exactly {MODEL_ID_LENGTH} characters long (the Gradient API's id"
        f" format, which the gradientai SDK enforces), got {len(value)}: {value!r}"
    ]


def _parse(what: str, parse: Callable[[Any], _T], data: Any) -> _T:
    """Parse a JSON answer with the SDK's own model, so both paths accept the same answers."""
    try:
        return parse(data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ServerError(
            f"{what} failed: the server's answer does not match the Gradient API "
            f"({type(exc).__name__})",
            status=200,
        ) from None
