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
  cap of 8 requests in flight. It sends the SDK's bodies and reads answers as the SDK does
  without importing it (``gradient_wire.py``), unless a value needs the SDK's own verdict.
- Gradient answers in one piece: streaming yields a single chunk (``streaming_emulated = True``).

The requests themselves are ``gradient_api.py``; what a suite may write is ``gradient_options.py``.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

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
from pydantic import ConfigDict, GetJsonSchemaHandler, PrivateAttr
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from harness.adapters.gradient_api import (
    COMPLETION_OPTIONS,
    ENV_ACCESS_TOKEN,
    ENV_HOST,
    ENV_WORKSPACE_ID,
    MODEL_ID_LENGTH,
    SYNC_POOL_SIZE,
    GradientSettings,
    base_model_id_async,
    base_model_id_sync,
    complete_async,
    complete_sync,
    completion_body,
    completion_json,
    id_length_problems,
    look_up_model_async,
    look_up_model_sync,
    read_settings,
    sdk_models_api,
)
from harness.adapters.gradient_options import (
    DEFAULT_TIMEOUT_S,
    AccessToken,
    BaseModelSlug,
    Host,
    IsChatModel,
    MaxTokens,
    ModelAdapterId,
    Timeout,
    WorkspaceId,
)
from harness.adapters.http import MASK, AsyncHttpClient

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

#: Context window reported in ``metadata``: the 4k window of the Llama-2-family models Gradient
#: served. The API does not report one, so this is documentation, not a limit we enforce.
CONTEXT_WINDOW = 4096
#: ``metadata.num_output`` when ``max_tokens`` is None (llama-index's own default).
DEFAULT_NUM_OUTPUT = 256
#: Simultaneous connections of the async path, per event loop.
ASYNC_CONNECTION_LIMIT = 256

# Fields rendered like the reference (pydantic v1) schema: their type, not required, default null.
_NULLABLE_FIELDS = ("max_tokens", "access_token", "host", "workspace_id")


class _GradientLLM(CustomLLM):
    """Fields and transport shared by the Gradient model-adapter and base-model LLMs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: Gradient returns the whole text at once; the one chunk's arrival time is not a real TTFT.
    streaming_emulated: ClassVar[bool] = True

    max_tokens: MaxTokens = None
    access_token: AccessToken = None
    host: Host = None
    workspace_id: WorkspaceId = None
    is_chat_model: IsChatModel = False
    timeout: Timeout = DEFAULT_TIMEOUT_S

    _lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)
    _resolve_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _settings: GradientSettings | None = PrivateAttr(default=None)
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

    def _resolve_model_sync(self, settings: GradientSettings, models_api: Any) -> str:
        raise NotImplementedError

    async def _resolve_model_async(self, settings: GradientSettings) -> str:
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

    def _get_settings(self) -> GradientSettings:
        with self._lock:
            if self._settings is None:
                self._settings = read_settings(
                    access_token=self.access_token,
                    workspace_id=self.workspace_id,
                    host=self.host,
                    describe=f"{type(self).__name__} for {self._model_label}",
                    model_problems=self._model_problems(),
                )
            return self._settings

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
        return completion_body(
            prompt, options, max_tokens=self.max_tokens, model_label=self._model_label
        )

    def _json_body(self, prompt: str, options: dict[str, Any]) -> dict[str, Any]:
        """The JSON of ``_body(...)``, built without importing the SDK when possible."""
        return completion_json(
            prompt, options, max_tokens=self.max_tokens, model_label=self._model_label
        )

    def _to_response(self, generated_output: str, finish_reason: str) -> CompletionResponse:
        return CompletionResponse(
            text=generated_output,
            raw={"generatedOutput": generated_output, "finishReason": finish_reason},
            additional_kwargs={"finish_reason": finish_reason},
        )

    # -- sync path: the gradientai SDK ------------------------------------------------------------

    def _sync_api(self) -> tuple[GradientSettings, Any]:
        settings = self._get_settings()
        with self._lock:
            if self._models_api is None:
                self._api_client, self._models_api = sdk_models_api(settings)
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
        text, finish_reason = complete_sync(
            models_api,
            settings,
            model_id,
            body,
            what=self._what("completion"),
            timeout_s=self.timeout,
        )
        return self._to_response(text, finish_reason)

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
        settings = self._get_settings()
        body = self._json_body(prompt, options)
        model_id = await self._model_id_async()
        text, finish_reason = await complete_async(
            self._http,
            settings,
            model_id,
            body,
            what=self._what("completion"),
            timeout_s=self.timeout,
        )
        return self._to_response(text, finish_reason)


class GradientModelAdapterLLM(_GradientLLM):
    """A Gradient model adapter (fine-tuned model) as a llama-index LLM.

    Matches llama-index's ``GradientModelAdapterLLM`` field for field, plus ``timeout``.
    Optional fields appear in the JSON schema as the reference shows them (pydantic v1 style):
    their type, absent from ``required``, default null.
    """

    model_adapter_id: ModelAdapterId

    @property
    def _model_name(self) -> str:
        return self.model_adapter_id

    @property
    def _model_label(self) -> str:
        return f"model adapter {self.model_adapter_id!r}"

    def _model_problems(self) -> list[str]:
        return id_length_problems("model_adapter_id", self.model_adapter_id)

    def _resolve_model_sync(self, settings: GradientSettings, models_api: Any) -> str:
        what = self._what("lookup")
        look_up_model_sync(
            models_api, settings, self.model_adapter_id, what=what, timeout_s=self.timeout
        )
        return self.model_adapter_id

    async def _resolve_model_async(self, settings: GradientSettings) -> str:
        what = self._what("lookup")
        await look_up_model_async(
            self._http, settings, self.model_adapter_id, what=what, timeout_s=self.timeout
        )
        return self.model_adapter_id


class GradientBaseModelLLM(_GradientLLM):
    """A Gradient base model, named by its slug, as a llama-index LLM.

    Same fields as ``GradientModelAdapterLLM`` with ``base_model_slug`` instead of
    ``model_adapter_id``; the slug is resolved to the model's id on first use.
    """

    base_model_slug: BaseModelSlug

    @property
    def _model_name(self) -> str:
        return self.base_model_slug

    @property
    def _model_label(self) -> str:
        return f"base model {self.base_model_slug!r}"

    def _resolve_model_sync(self, settings: GradientSettings, models_api: Any) -> str:
        what = self._what("listing base models for")
        return base_model_id_sync(
            models_api, settings, self.base_model_slug, what=what, timeout_s=self.timeout
        )

    async def _resolve_model_async(self, settings: GradientSettings) -> str:
        what = self._what("listing base models for")
        return await base_model_id_async(
            self._http, settings, self.base_model_slug, what=what, timeout_s=self.timeout
        )
