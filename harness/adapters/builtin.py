"""Built-in adapter types: gradient-adapter, gradient-base, and any llama-index LLM by path.

Their options models are plain pydantic (``gradient_options.py``), so a suite validates without
llama-index or gradientai; ``build`` imports the LLM classes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from harness.adapters.base import AdapterType
from harness.adapters.gradient_options import (
    GradientBaseModelLLMOptions,
    GradientModelAdapterLLMOptions,
)
from harness.registry import import_object

__all__ = ["GRADIENT_ADAPTER", "GRADIENT_BASE", "LLAMA_INDEX", "options_model_for"]


def options_model_for(llm_class: type[BaseModel]) -> type[BaseModel]:
    """The fields the LLM class declares itself (not llama-index's) as a strict options model.

    The light options models of the adapter types are tested against this derived model, so
    suite options stay field for field with the adapter. Imports llama-index.
    """
    from llama_index.core.llms import CustomLLM

    inherited = set(CustomLLM.model_fields)
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in llm_class.model_fields.items()
        if name not in inherited
    }
    model: type[BaseModel] = create_model(
        f"{llm_class.__name__}Options", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def _build_gradient_adapter(options: BaseModel) -> Any:
    from harness.adapters.gradient import GradientModelAdapterLLM

    return GradientModelAdapterLLM(**options.model_dump(exclude_unset=True))


def _build_gradient_base(options: BaseModel) -> Any:
    from harness.adapters.gradient import GradientBaseModelLLM

    return GradientBaseModelLLM(**options.model_dump(exclude_unset=True))


GRADIENT_ADAPTER = AdapterType(
    name="gradient-adapter",
    options=GradientModelAdapterLLMOptions,
    build=_build_gradient_adapter,
    description="A Gradient fine-tuned model adapter (GradientModelAdapterLLM)",
    model_option="model_adapter_id",
)

GRADIENT_BASE = AdapterType(
    name="gradient-base",
    options=GradientBaseModelLLMOptions,
    build=_build_gradient_base,
    description="A Gradient base model by slug (GradientBaseModelLLM)",
    model_option="base_model_slug",
)


class LlamaIndexOptions(BaseModel):
    """Any llama-index LLM: its class by import path and the keyword arguments to build it."""

    model_config = ConfigDict(extra="forbid")

    class_path: str = Field(
        description="Import path of the LLM class, 'package.module:Class' or 'package.module.Class'"
    )
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Constructor arguments")

    @field_validator("class_path")
    @classmethod
    def _importable(cls, v: str) -> str:
        _import_class(v)
        return v


def _import_class(path: str) -> type[Any]:
    if ":" not in path:  # 'package.module.Class' is accepted too
        module_name, _, attr = path.rpartition(".")
        path = f"{module_name}:{attr}"
    obj = import_object(path)
    if not isinstance(obj, type):
        raise ValueError(f"{path!r} is not a class")
    return obj


def _build_llama_index(options: BaseModel) -> Any:
    assert isinstance(options, LlamaIndexOptions)
    return _import_class(options.class_path)(**options.kwargs)


LLAMA_INDEX = AdapterType(
    name="llama-index",
    options=LlamaIndexOptions,
    build=_build_llama_index,
    description="Any llama-index LLM, built from its import path and keyword arguments",
    model_option="class_path",
)
