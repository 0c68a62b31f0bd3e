"""What a suite may write for ``type: gradient-adapter`` and ``type: gradient-base``.

Plain pydantic, so validating a suite and printing its schema never import llama-index or
gradientai. The LLM classes in ``gradient.py`` declare the same fields; a test
(``tests/adapters/test_options_in_step.py``) fails when the two differ.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_TIMEOUT_S", "GradientBaseModelLLMOptions", "GradientModelAdapterLLMOptions"]

DEFAULT_TIMEOUT_S = 60.0


class _GradientLLMOptions(BaseModel):
    """The options both Gradient adapter types share, in the LLM classes' order."""

    model_config = ConfigDict(extra="forbid")

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


class GradientModelAdapterLLMOptions(_GradientLLMOptions):
    """Options of ``type: gradient-adapter``: the fields of ``GradientModelAdapterLLM``."""

    model_adapter_id: str = Field(description="The id of the model adapter to use.")


class GradientBaseModelLLMOptions(_GradientLLMOptions):
    """Options of ``type: gradient-base``: the fields of ``GradientBaseModelLLM``."""

    base_model_slug: str = Field(description="The slug of the base model to use.")
