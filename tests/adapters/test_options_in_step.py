"""The light suite options models stay field for field with the LLM classes they build.

Validation and ``harness schema`` use plain pydantic options models (no llama-index); the LLM
classes declare their fields themselves. ``options_model_for`` derives an options model from
an LLM class's own fields, the way the suite format used to be made; these tests fail as soon
as the declared options and the derived ones differ in a name, order, type, default,
constraint, description or the rendered JSON Schema.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pydantic import BaseModel, Field

from harness.adapters.base import adapters
from harness.adapters.builtin import LLAMA_INDEX, LlamaIndexOptions, options_model_for
from harness.adapters.gradient import GradientBaseModelLLM, GradientModelAdapterLLM
from harness.adapters.openai_compatible_llm import OpenAICompatibleLLM
from harness.adapters.openai_like import OPENAI_LIKE, OpenAILikeLLM
from harness.adapters.replay import REPLAY, ReplayLLM, ReplayOptions, ReplayTiming

# adapter type → the LLM class whose own fields its options must be
DERIVED_FROM: dict[str, type[BaseModel]] = {
    "gradient-adapter": GradientModelAdapterLLM,
    "gradient-base": GradientBaseModelLLM,
    "openai-compatible": OpenAICompatibleLLM,
}


def differences(options: type[BaseModel], llm_class: type[BaseModel]) -> list[str]:
    """How ``options`` differs from the options derived from ``llm_class``'s own fields."""
    derived = options_model_for(llm_class)
    ours, theirs = options.model_fields, derived.model_fields
    found = []
    if list(ours) != list(theirs):
        found.append(f"fields {list(ours)} != {llm_class.__name__}'s {list(theirs)}")
    for name in ours.keys() & theirs.keys():
        # FieldInfo's repr shows annotation, required, default (factory), description, metadata
        if repr(ours[name]) != repr(theirs[name]):
            found.append(f"{name}: {ours[name]!r} != {theirs[name]!r}")
    mine, expected = options.model_json_schema(), derived.model_json_schema()
    for key in ("title", "properties", "required", "additionalProperties"):
        if mine.get(key) != expected.get(key):
            found.append(f"schema {key}: {mine.get(key)!r} != {expected.get(key)!r}")
    return found


@pytest.mark.parametrize("type_name", sorted(DERIVED_FROM))
def test_options_are_the_llm_class_own_fields(type_name: str) -> None:
    options = adapters.get(type_name).options
    assert differences(options, DERIVED_FROM[type_name]) == []


def test_every_builtin_type_is_checked_here() -> None:
    checked = {*DERIVED_FROM, "openai-like", "replay", "llama-index"}
    builtin = {e.name for e in adapters if e.load().build.__module__.startswith("harness.")}
    assert builtin == checked


class _NewField(GradientModelAdapterLLM):
    stop: str | None = Field(default=None, description="A stop sequence.")


class _OtherDefault(GradientModelAdapterLLM):
    timeout: float = Field(
        default=30.0, description="The bound on one request, in seconds.", gt=0, allow_inf_nan=False
    )


class _OtherDescription(GradientModelAdapterLLM):
    host: str | None = Field(default=None, description="Where the Gradient service is.")


class _OtherConstraint(GradientModelAdapterLLM):
    max_tokens: int | None = Field(
        default=None, description="The number of tokens to generate.", gt=0, lt=4096
    )


class _OtherType(GradientModelAdapterLLM):
    is_chat_model: int = Field(default=False, description="Whether the model is a chat model.")


@pytest.mark.parametrize(
    ("drifted", "field"),
    [
        (_NewField, "fields"),
        (_OtherDefault, "timeout"),
        (_OtherDescription, "host"),
        (_OtherConstraint, "max_tokens"),
        (_OtherType, "is_chat_model"),
    ],
)
def test_a_drifted_llm_class_is_caught(drifted: type[BaseModel], field: str) -> None:
    found = differences(adapters.get("gradient-adapter").options, drifted)
    assert any(problem.startswith(field) for problem in found), found


def test_openai_like_takes_the_openai_compatible_options() -> None:
    assert OPENAI_LIKE.options is adapters.get("openai-compatible").options
    llm_fields = OpenAILikeLLM.model_fields
    missing = [name for name in OPENAI_LIKE.options.model_fields if name not in llm_fields]
    assert missing == []  # each option is a field of llama-index's OpenAILike


def test_replay_options_are_from_cassette_arguments() -> None:
    parameters = inspect.signature(ReplayLLM.from_cassette).parameters
    fields = ReplayOptions.model_fields
    assert list(fields) == ["cassette", *(n for n in parameters if n not in ("path",))]
    for name in ("adapter", "timing"):
        assert fields[name].default == parameters[name].default
    assert parameters["timing"].annotation in ("ReplayTiming", ReplayTiming)
    assert ReplayLLM.model_fields["timing"].annotation == ReplayTiming
    assert fields["timing"].annotation == ReplayTiming
    assert REPLAY.options is ReplayOptions


def test_llama_index_options_name_a_class_and_its_arguments() -> None:
    assert LLAMA_INDEX.options is LlamaIndexOptions
    options: Any = LlamaIndexOptions.model_validate(
        {"class_path": "harness.adapters.replay_llm:ReplayLLM", "kwargs": {"cassette": "x"}}
    )
    assert options.kwargs == {"cassette": "x"}
