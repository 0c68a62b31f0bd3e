"""Built-in adapter types: gradient-adapter, gradient-base, and any llama-index LLM by path.

Their options models are plain pydantic (``gradient_options.py``), so a suite validates without
llama-index or gradientai; ``build`` imports the LLM classes.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    create_model,
    field_validator,
    model_validator,
)

from harness.adapters.base import AdapterType
from harness.adapters.gradient_options import (
    GradientBaseModelLLMOptions,
    GradientModelAdapterLLMOptions,
)
from harness.user_code import current_scope, find_user_object, import_user_object

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
    _base_dir: Path | None = PrivateAttr(default=None)  # the suite's folder, for local modules

    @field_validator("class_path")
    @classmethod
    def _importable(cls, v: str) -> str:
        scope = current_scope()
        if scope.execute:
            _import_class(v, scope.base_dir)
            return v
        # harness validate: find and parse the module, never import it
        found = find_user_object(v, scope.base_dir, dotted_class=True)
        if found.node is not None and not isinstance(found.node, ast.ClassDef):
            raise ValueError(f"{v!r} is not a class (a def in {found.file})")
        if found.note is not None:
            scope.notes.append(f"{v}: {found.note}")
        return v

    @model_validator(mode="after")
    def _remember_folder(self) -> LlamaIndexOptions:
        self._base_dir = current_scope().base_dir
        return self

    def llm_class(self) -> type[Any]:
        """The LLM class, imported (a module beside the suite is loaded by its path)."""
        return _import_class(self.class_path, self._base_dir)


def _import_class(path: str, base_dir: Path | None) -> type[Any]:
    obj = import_user_object(path, base_dir, dotted_class=True)
    if not isinstance(obj, type):
        raise ValueError(f"{path!r} is not a class")
    return obj


def _build_llama_index(options: BaseModel) -> Any:
    assert isinstance(options, LlamaIndexOptions)
    return options.llm_class()(**options.kwargs)


LLAMA_INDEX = AdapterType(
    name="llama-index",
    options=LlamaIndexOptions,
    build=_build_llama_index,
    description="Any llama-index LLM, built from its import path and keyword arguments",
    model_option="class_path",
)
