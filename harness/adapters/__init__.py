"""Adapters: llama-index LLMs the harness can drive, and the registry of adapter types.

The Gradient classes load lazily (they import llama-index and gradientai).
"""

from __future__ import annotations

from harness.adapters.base import AdapterType, adapters
from harness.lazy import lazy_exports

__all__ = ["AdapterType", "GradientBaseModelLLM", "GradientModelAdapterLLM", "adapters"]


__getattr__ = lazy_exports(
    __name__,
    {
        name: "harness.adapters.gradient"
        for name in ("GradientBaseModelLLM", "GradientModelAdapterLLM")
    },
)
