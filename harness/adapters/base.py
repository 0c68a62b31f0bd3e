"""What an adapter type is: a registered name, its options model, and a factory for the LLM.

Every adapter is a llama-index LLM; the registry only knows how to build one from options a
user wrote. Built-ins are registered lazily so that llama-index and gradientai load on use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from harness.registry import Registry

__all__ = [
    "SECRET_OPTION_WORDS",
    "AdapterType",
    "adapters",
    "is_secret_option",
    "is_secret_variable",
    "redact_options",
]

# Options named like these hold secrets: never written to run.json, reports or logs.
SECRET_OPTION_WORDS = ("token", "key", "secret", "password")


def is_secret_option(name: str) -> bool:
    """``access_token``, ``api_key``, ``password`` are secrets; ``max_tokens`` is not."""
    lowered = name.lower()
    return any(lowered == w or lowered.endswith("_" + w) for w in SECRET_OPTION_WORDS)


def is_secret_variable(name: str) -> bool:
    """``GRADIENT_ACCESS_TOKEN``, ``MY_SECRET_MODEL``, ``OPENAI_API_KEY`` name secrets;
    ``MAXT``, ``MAX_TOKENS`` and ``GRADIENT_API_URL`` do not (a secret word must be a whole part).
    """
    return is_secret_option(name) or any(
        part in SECRET_OPTION_WORDS for part in name.lower().split("_")
    )


@dataclass(frozen=True)
class AdapterType:
    """A kind of adapter: how to validate its options and build its llama-index LLM.

    ``build`` returns a llama-index ``LLM`` (typed ``Any`` because llama-index is loaded lazily).
    ``model_option`` names the option that identifies the model (for reports).
    """

    name: str
    options: type[BaseModel]
    build: Callable[[BaseModel], Any]
    description: str
    model_option: str
    path_options: tuple[str, ...] = ()  # relative paths here are relative to the suite file


adapters: Registry[AdapterType] = Registry("adapter type", "harness.adapters")

adapters.add("gradient-adapter", "harness.adapters.builtin:GRADIENT_ADAPTER")
adapters.add("gradient-base", "harness.adapters.builtin:GRADIENT_BASE")
adapters.add("llama-index", "harness.adapters.builtin:LLAMA_INDEX")
adapters.add("replay", "harness.adapters.replay:REPLAY")
adapters.add("openai-compatible", "harness.adapters.openai_compatible:OPENAI_COMPATIBLE")
adapters.add("openai-like", "harness.adapters.openai_like:OPENAI_LIKE")


def redact_options(options: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``options`` with secret-looking values replaced by ``"***"``, at any depth.

    Nested mappings and lists are walked too: ``kwargs: {api_key: ...}`` of a llama-index
    adapter is as secret as a top-level ``access_token``.
    """
    return {
        k: ("***" if v is not None and is_secret_option(k) else _redact(v))
        for k, v in options.items()
    }


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return redact_options(value)
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value
