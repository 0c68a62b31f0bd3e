"""The ``openai-compatible`` adapter type: OpenAI-compatible servers through our lean SSE client.

``OpenAICompatibleLLM`` (``openai_compatible_llm.py``) streams ``/completions`` or
``/chat/completions`` over aiohttp and yields each token as it arrives. It is the fast path the
harness measures with. ``openai-like`` (``openai_like.py``) takes the same options
(``openai_options.py``); both raise ``harness.errors`` types whose messages never hold the key.

This module loads without llama-index: the LLM class and the constants that need llama-index
load on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from harness.adapters.base import AdapterType
from harness.adapters.openai_options import (
    DEFAULT_TIMEOUT_S,
    ENV_API_KEY,
    PLACEHOLDER_API_KEY,
    OpenAICompatibleOptions,
    resolve_api_key,
)
from harness.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.adapters.openai_compatible_llm import (
        CONNECTION_LIMIT,
        CONTEXT_WINDOW,
        GENERATION_OPTIONS,
        OpenAICompatibleLLM,
    )

__all__ = [
    "CONNECTION_LIMIT",
    "CONTEXT_WINDOW",
    "DEFAULT_TIMEOUT_S",
    "ENV_API_KEY",
    "GENERATION_OPTIONS",
    "OPENAI_COMPATIBLE",
    "PLACEHOLDER_API_KEY",
    "OpenAICompatibleLLM",
    "OpenAICompatibleOptions",
    "resolve_api_key",
]

_FROM_LLM_MODULE = (
    "CONNECTION_LIMIT",
    "CONTEXT_WINDOW",
    "GENERATION_OPTIONS",
    "OpenAICompatibleLLM",
)


def _build_openai_compatible(options: BaseModel) -> OpenAICompatibleLLM:
    from harness.adapters.openai_compatible_llm import OpenAICompatibleLLM

    return OpenAICompatibleLLM(**options.model_dump(exclude_unset=True))


OPENAI_COMPATIBLE = AdapterType(
    name="openai-compatible",
    options=OpenAICompatibleOptions,
    build=_build_openai_compatible,
    description="A model behind an OpenAI-compatible API, streamed by the harness's own client",
    model_option="model",
)


__getattr__ = lazy_exports(
    __name__, {name: "harness.adapters.openai_compatible_llm" for name in _FROM_LLM_MODULE}
)
