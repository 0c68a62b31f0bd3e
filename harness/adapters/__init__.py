"""Adapters: llama-index LLMs the harness can drive, and the registry of adapter types.

The Gradient classes load lazily (they import llama-index and gradientai).
"""

from __future__ import annotations

from typing import Any

from harness.adapters.base import AdapterType, adapters

__all__ = ["AdapterType", "GradientBaseModelLLM", "GradientModelAdapterLLM", "adapters"]


def __getattr__(name: str) -> Any:
    if name in ("GradientBaseModelLLM", "GradientModelAdapterLLM"):
        from harness.adapters import gradient

        return getattr(gradient, name)
    raise AttributeError(f"module 'harness.adapters' has no attribute {name!r}")
