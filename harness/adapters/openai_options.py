"""What a suite may write for ``type: openai-compatible`` and ``openai-like``; the key they send.

Plain pydantic, so validating a suite and printing its schema never import llama-index or the
openai SDK. ``OpenAICompatibleLLM`` declares the same fields; a test
(``tests/adapters/test_options_in_step.py``) fails when the two differ.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "ENV_API_KEY",
    "PLACEHOLDER_API_KEY",
    "ApiBase",
    "ApiKey",
    "IsChatModel",
    "MaxTokens",
    "Model",
    "OpenAICompatibleOptions",
    "Timeout",
    "resolve_api_key",
]

#: Sent when neither ``api_key`` nor OPENAI_API_KEY is set: local servers (vLLM, llama.cpp,
#: Ollama…) accept any key, and the OpenAI SDK refuses to send none.
PLACEHOLDER_API_KEY = "EMPTY"
#: Where the key comes from when no ``api_key`` is given (named in the hint of a 401).
ENV_API_KEY = "OPENAI_API_KEY"
DEFAULT_TIMEOUT_S = 60.0


# Each option's type, constraints and description, declared once: the options model below and
# ``OpenAICompatibleLLM`` both use these, and a test fails if the two ever differ.
Model = Annotated[
    str, Field(description="The model name the server serves (sent as `model`).", min_length=1)
]
ApiBase = Annotated[
    str,
    Field(
        description="Base URL of the API, up to and including /v1 (e.g. http://localhost:8000/v1).",
        pattern=r"^https?://[^\s]+$",
    ),
]
ApiKey = Annotated[
    SecretStr | None,
    Field(
        description=(
            f"Bearer key. Defaults to {ENV_API_KEY}, else the placeholder "
            f"'{PLACEHOLDER_API_KEY}' that local servers accept. In suites write ${{ENV_VAR}}."
        )
    ),
]
IsChatModel = Annotated[
    bool, Field(description="Whether to use /chat/completions (True) or /completions (False).")
]
MaxTokens = Annotated[
    int | None,
    Field(description="Tokens to generate per request (the server's default if unset).", gt=0),
]
Timeout = Annotated[
    float,
    Field(
        description="Bound on one whole request, from sending it to its last token, in seconds.",
        gt=0,
        allow_inf_nan=False,
    ),
]


def resolve_api_key(api_key: SecretStr | str | None) -> tuple[str, str]:
    """The key to send and where it came from: the option, OPENAI_API_KEY, or the placeholder."""
    if isinstance(api_key, SecretStr):
        api_key = api_key.get_secret_value()
    if api_key:
        return api_key, "api_key"
    env = os.environ.get(ENV_API_KEY)
    if env:
        return env, ENV_API_KEY
    return PLACEHOLDER_API_KEY, "placeholder"


class OpenAICompatibleOptions(BaseModel):
    """The options of both adapter types: the fields of ``OpenAICompatibleLLM``."""

    # The title is the one the options model derived from the LLM class had (error messages).
    model_config = ConfigDict(extra="forbid", title="OpenAICompatibleLLMOptions")

    model: Model
    api_base: ApiBase
    api_key: ApiKey = None
    is_chat_model: IsChatModel = False
    max_tokens: MaxTokens = None
    timeout: Timeout = DEFAULT_TIMEOUT_S
