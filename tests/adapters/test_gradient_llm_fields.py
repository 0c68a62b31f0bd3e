"""Fields, schema, settings and construction of the Gradient LLMs: no server needed (or reached)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import CustomLLM, LLMMetadata
from pydantic import ValidationError

from harness.adapters.gradient import (
    CONTEXT_WINDOW,
    DEFAULT_NUM_OUTPUT,
    GradientBaseModelLLM,
    GradientModelAdapterLLM,
)
from harness.errors import ConfigurationError, ConnectionFailedError, InvalidRequestError

from .conftest import TOKEN, UNKNOWN_ID, WORKSPACE

# The properties of llama-index's GradientModelAdapterLLM schema, copied from the reference page
# (shared/reference/000_85f4cf50125a153e.txt). Ours must contain each key/value shown here.
REFERENCE_PROPERTIES: dict[str, dict[str, Any]] = {
    "callback_manager": {"title": "Callback Manager"},
    "max_tokens": {
        "title": "Max Tokens",
        "description": "The number of tokens to generate.",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 512,
        "type": "integer",
    },
    "access_token": {
        "title": "Access Token",
        "description": "The Gradient access token to use.",
        "type": "string",
    },
    "host": {
        "title": "Host",
        "description": "The url of the Gradient service to access.",
        "type": "string",
    },
    "workspace_id": {
        "title": "Workspace Id",
        "description": "The Gradient workspace id to use.",
        "type": "string",
    },
    "is_chat_model": {
        "title": "Is Chat Model",
        "description": "Whether the model is a chat model.",
        "default": False,
        "type": "boolean",
    },
    "model_adapter_id": {
        "title": "Model Adapter Id",
        "description": "The id of the model adapter to use.",
        "type": "string",
    },
}

ADAPTER_ID = UNKNOWN_ID


def adapter(**kwargs: Any) -> GradientModelAdapterLLM:
    kwargs.setdefault("model_adapter_id", ADAPTER_ID)
    return GradientModelAdapterLLM(**kwargs)


# -- schema ------------------------------------------------------------------------------------


def test_schema_title_and_required() -> None:
    schema = GradientModelAdapterLLM.model_json_schema()
    assert schema["title"] == "GradientModelAdapterLLM"
    assert schema["required"] == ["model_adapter_id"]


@pytest.mark.parametrize("name", sorted(REFERENCE_PROPERTIES))
def test_schema_property_matches_reference(name: str) -> None:
    prop = GradientModelAdapterLLM.model_json_schema()["properties"][name]
    expected = REFERENCE_PROPERTIES[name]
    assert {k: prop.get(k) for k in expected} == expected


def test_schema_optional_fields_default_to_null_and_are_not_required() -> None:
    schema = GradientModelAdapterLLM.model_json_schema()
    for name in ("max_tokens", "access_token", "host", "workspace_id"):
        assert schema["properties"][name]["default"] is None
        assert "anyOf" not in schema["properties"][name]
        assert name not in schema["required"]


def test_schema_timeout_addition() -> None:
    prop = GradientModelAdapterLLM.model_json_schema()["properties"]["timeout"]
    assert prop == {
        "title": "Timeout",
        "description": "The bound on one request, in seconds.",
        "type": "number",
        "default": 60.0,
        "exclusiveMinimum": 0,
    }


def test_base_model_schema_has_slug_instead_of_adapter_id() -> None:
    schema = GradientBaseModelLLM.model_json_schema()
    assert schema["title"] == "GradientBaseModelLLM"
    assert schema["required"] == ["base_model_slug"]
    assert "model_adapter_id" not in schema["properties"]
    assert schema["properties"]["base_model_slug"] == {
        "title": "Base Model Slug",
        "description": "The slug of the base model to use.",
        "type": "string",
    }
    for name, expected in REFERENCE_PROPERTIES.items():
        if name != "model_adapter_id":
            prop = schema["properties"][name]
            assert {k: prop.get(k) for k in expected} == expected


def test_config_allows_arbitrary_types() -> None:
    assert GradientModelAdapterLLM.model_config.get("arbitrary_types_allowed") is True
    assert issubclass(GradientModelAdapterLLM, CustomLLM)
    assert issubclass(GradientBaseModelLLM, CustomLLM)


# -- fields, defaults, constraints -------------------------------------------------------------


def test_defaults() -> None:
    llm = adapter()
    assert llm.access_token is None
    assert llm.host is None
    assert llm.workspace_id is None
    assert llm.is_chat_model is False
    assert llm.max_tokens is None
    assert llm.timeout == 60.0
    assert llm.model_adapter_id == ADAPTER_ID
    assert isinstance(llm.callback_manager, CallbackManager)


def test_every_field_is_kept() -> None:
    manager = CallbackManager([])
    llm = adapter(
        access_token=TOKEN,
        host="http://h/api",
        workspace_id=WORKSPACE,
        is_chat_model=True,
        max_tokens=100,
        timeout=2.5,
        callback_manager=manager,
    )
    assert (llm.access_token, llm.host, llm.workspace_id) == (TOKEN, "http://h/api", WORKSPACE)
    assert (llm.is_chat_model, llm.max_tokens, llm.timeout) == (True, 100, 2.5)
    assert llm.callback_manager is manager


def test_callback_manager_none_becomes_a_fresh_manager() -> None:
    llm = adapter(callback_manager=None)
    assert isinstance(llm.callback_manager, CallbackManager)


def test_model_adapter_id_is_required() -> None:
    with pytest.raises(ValidationError) as info:
        GradientModelAdapterLLM()  # type: ignore[call-arg]
    assert info.value.errors()[0]["loc"] == ("model_adapter_id",)


def test_base_model_slug_is_required() -> None:
    with pytest.raises(ValidationError) as info:
        GradientBaseModelLLM()  # type: ignore[call-arg]
    assert info.value.errors()[0]["loc"] == ("base_model_slug",)


@pytest.mark.parametrize("value", [1, 100, 511, None])
def test_max_tokens_accepts(value: int | None) -> None:
    assert adapter(max_tokens=value).max_tokens == value


@pytest.mark.parametrize("value", [0, 512, -1, 10_000])
def test_max_tokens_rejects(value: int) -> None:
    with pytest.raises(ValidationError) as info:
        adapter(max_tokens=value)
    assert info.value.errors()[0]["loc"] == ("max_tokens",)


@pytest.mark.parametrize("value", [0, -1, math.inf, math.nan])
def test_timeout_rejects(value: float) -> None:
    with pytest.raises(ValidationError) as info:
        adapter(timeout=value)
    assert info.value.errors()[0]["loc"] == ("timeout",)


def test_streaming_is_marked_emulated() -> None:
    assert GradientModelAdapterLLM.streaming_emulated is True
    assert GradientBaseModelLLM.streaming_emulated is True
    assert adapter().streaming_emulated is True
    assert "streaming_emulated" not in GradientModelAdapterLLM.model_fields


# -- metadata ----------------------------------------------------------------------------------


def test_metadata_of_adapter() -> None:
    meta = adapter(max_tokens=100, is_chat_model=True).metadata
    assert isinstance(meta, LLMMetadata)
    assert meta.model_name == ADAPTER_ID
    assert meta.num_output == 100
    assert meta.is_chat_model is True
    assert meta.context_window == CONTEXT_WINDOW == 4096


def test_metadata_of_base_model_defaults() -> None:
    meta = GradientBaseModelLLM(base_model_slug="llama2-7b-chat").metadata
    assert meta.model_name == "llama2-7b-chat"
    assert meta.num_output == DEFAULT_NUM_OUTPUT
    assert meta.is_chat_model is False


# -- the token stays out of repr/str/dumps for observers ---------------------------------------


def test_repr_and_str_mask_the_token() -> None:
    llm = adapter(access_token=TOKEN, workspace_id=WORKSPACE)
    for text in (repr(llm), str(llm)):
        assert TOKEN not in text
        assert "access_token='***'" in text
        assert WORKSPACE in text  # the rest of the repr is intact


def test_repr_without_token_shows_none() -> None:
    assert "access_token=None" in repr(adapter())


def test_payload_for_callbacks_has_no_token() -> None:
    assert TOKEN not in str(adapter(access_token=TOKEN).to_payload())


# -- settings: arguments, environment, errors --------------------------------------------------


def test_construction_reads_no_environment_and_makes_no_request(closed_port_url: str) -> None:
    llm = adapter(host=closed_port_url)  # no token, no workspace, nothing listening: still fine
    assert llm.metadata.model_name == ADAPTER_ID
    assert repr(llm)


def test_nothing_is_sent_before_first_use(closed_port_url: str) -> None:
    llm = adapter(host=closed_port_url, access_token=TOKEN, workspace_id=WORKSPACE)
    llm.validate_settings()  # settings only: no request, so the closed port goes unnoticed
    assert llm.metadata.model_name == ADAPTER_ID
    gen = llm.stream_complete("hi")  # nothing is sent until the first chunk is asked for
    with pytest.raises(ConnectionFailedError, match="cannot connect to"):
        next(gen)
    llm.close()


def test_all_missing_settings_are_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as info:
        adapter().complete("hi")
    message = str(info.value)
    for argument, variable in [
        ("access_token", "GRADIENT_ACCESS_TOKEN"),
        ("workspace_id", "GRADIENT_WORKSPACE_ID"),
        ("host", "GRADIENT_API_URL"),
    ]:
        assert f"{argument} is not set: pass {argument}=... or set {variable}" in message
    assert "hosted Gradient service has shut down" in message


def test_missing_settings_raise_on_the_async_path_too() -> None:
    import asyncio

    with pytest.raises(ConfigurationError, match="access_token is not set"):
        asyncio.run(adapter(host="http://127.0.0.1:9/api", workspace_id="w").acomplete("hi"))


def test_only_the_missing_setting_is_reported() -> None:
    with pytest.raises(ConfigurationError) as info:
        adapter(access_token=TOKEN, host="http://127.0.0.1:9/api").validate_settings()
    message = str(info.value)
    assert "workspace_id is not set" in message
    assert "access_token is not set" not in message
    assert "host is not set" not in message
    assert TOKEN not in message


def test_environment_fills_missing_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = adapter()
    # read at first use, not at construction: setting the variables afterwards works
    monkeypatch.setenv("GRADIENT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GRADIENT_WORKSPACE_ID", WORKSPACE)
    monkeypatch.setenv("GRADIENT_API_URL", "http://127.0.0.1:9/api")
    llm.validate_settings()


def test_empty_values_count_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIENT_ACCESS_TOKEN", "")
    with pytest.raises(ConfigurationError, match="access_token is not set"):
        adapter(access_token="", workspace_id="w", host="http://h/api").validate_settings()


def test_host_must_be_an_http_url() -> None:
    with pytest.raises(ConfigurationError, match="host must be an http:// or https:// URL"):
        adapter(access_token=TOKEN, workspace_id="w", host="127.0.0.1:8080").validate_settings()


@pytest.mark.parametrize("length", [0, 10, 49, 51])
def test_adapter_id_of_wrong_length_is_a_configuration_error(length: int) -> None:
    llm = adapter(
        model_adapter_id="x" * length,
        access_token=TOKEN,
        workspace_id=WORKSPACE,
        host="http://127.0.0.1:9/api",  # never reached: the check comes first
    )
    with pytest.raises(ConfigurationError) as info:
        llm.complete("hi")
    assert "must be exactly 50 characters long" in str(info.value)
    assert f"got {length}" in str(info.value)


def test_unknown_completion_option_suggests_the_right_one() -> None:
    llm = adapter(access_token=TOKEN, workspace_id=WORKSPACE, host="http://127.0.0.1:9/api")
    with pytest.raises(ConfigurationError) as info:
        llm.complete("hi", temprature=0.5)
    assert "'temprature' (did you mean 'temperature'?)" in str(info.value)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_tokens": 512}, "maxGeneratedTokenCount"),
        ({"max_tokens": 0}, "maxGeneratedTokenCount"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_k": 1.5}, "topK"),
        ({"guidance": {"type": "choice", "value": []}}, "guidance"),
    ],
)
def test_invalid_option_values_fail_before_any_request(
    options: dict[str, Any], field: str, closed_port_url: str
) -> None:
    # the host refuses connections: an InvalidRequestError proves nothing was sent
    llm = adapter(access_token=TOKEN, workspace_id=WORKSPACE, host=closed_port_url)
    with pytest.raises(InvalidRequestError) as info:
        llm.complete("hi", **options)
    assert field in str(info.value)
    assert info.value.status is None


def test_empty_prompt_is_an_invalid_request(closed_port_url: str) -> None:
    llm = adapter(access_token=TOKEN, workspace_id=WORKSPACE, host=closed_port_url)
    with pytest.raises(InvalidRequestError, match="query"):
        llm.complete("")
