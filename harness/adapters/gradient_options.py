"""What a suite may write for ``type: gradient-adapter`` and ``type: gradient-base``.

Plain pydantic, so validating a suite and printing its schema never import llama-index or
gradientai. The field types below (each with its constraints and description) are declared
once here and used by both these models and the LLM classes in ``gradient.py``; a test
(``tests/adapters/test_options_in_step.py``) fails if the two ever differ.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MODEL_ID_LENGTH",
    "AccessToken",
    "BaseModelSlug",
    "GradientBaseModelLLMOptions",
    "GradientModelAdapterLLMOptions",
    "Host",
    "IsChatModel",
    "MaxTokens",
    "ModelAdapterId",
    "Timeout",
    "WorkspaceId",
    "model_id_problems",
]

DEFAULT_TIMEOUT_S = 60.0
#: Model ids are exactly this long; the gradientai SDK refuses any other length client-side.
MODEL_ID_LENGTH = 50

MaxTokens = Annotated[
    int | None, Field(description="The number of tokens to generate.", gt=0, lt=512)
]
AccessToken = Annotated[str | None, Field(description="The Gradient access token to use.")]
Host = Annotated[str | None, Field(description="The url of the Gradient service to access.")]
WorkspaceId = Annotated[str | None, Field(description="The Gradient workspace id to use.")]
IsChatModel = Annotated[bool, Field(description="Whether the model is a chat model.")]
Timeout = Annotated[
    float, Field(description="The bound on one request, in seconds.", gt=0, allow_inf_nan=False)
]
ModelAdapterId = Annotated[str, Field(description="The id of the model adapter to use.")]
BaseModelSlug = Annotated[str, Field(description="The slug of the base model to use.")]


class _GradientLLMOptions(BaseModel):
    """The options both Gradient adapter types share, in the LLM classes' order."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: MaxTokens = None
    access_token: AccessToken = None
    host: Host = None
    workspace_id: WorkspaceId = None
    is_chat_model: IsChatModel = False
    timeout: Timeout = DEFAULT_TIMEOUT_S


def model_id_problems(value: str) -> list[str]:
    """Why the Gradient API can never accept ``value`` as a model id (empty: it may)."""
    if len(value) == MODEL_ID_LENGTH:
        return []
    return [
        f"expected exactly {MODEL_ID_LENGTH} characters (the Gradient API's model id format, "
        f"e.g. 5a1e5b07-0001-4000-8000-00000000000a_model_adapter; the gradientai SDK refuses "
        f"any other length), got {len(value)}: {value!r}"
    ]


class GradientModelAdapterLLMOptions(_GradientLLMOptions):
    """Options of ``type: gradient-adapter``: the fields of ``GradientModelAdapterLLM``."""

    model_adapter_id: ModelAdapterId

    def load_problems(self, from_env: frozenset[str]) -> list[tuple[str, str]]:
        """(option, problem) pairs a run would fail on, found now; ``from_env`` options skipped.

        A value read from ``${ENV}`` is checked when the run builds the adapter instead.
        """
        if "model_adapter_id" in from_env:
            return []
        return [("model_adapter_id", p) for p in model_id_problems(self.model_adapter_id)]


class GradientBaseModelLLMOptions(_GradientLLMOptions):
    """Options of ``type: gradient-base``: the fields of ``GradientBaseModelLLM``."""

    base_model_slug: BaseModelSlug
