"""The public API: every name in __all__ exists, and __all__ is sorted (as httpx does)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

MODULES = [
    "harness",
    "harness.adapters",
    "harness.emulator",
    "harness.errors",
    "harness.metrics",
    "harness.records",
    "harness.records.cassette",
    "harness.records.jsonl",
    "harness.records.merge",
    "harness.records.store",
    "harness.registry",
    "harness.yamlio",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    for attr in exported:
        assert getattr(module, attr) is not None


def test_gradient_classes_are_reachable_from_adapters() -> None:
    from harness.adapters import GradientModelAdapterLLM
    from harness.adapters.gradient import GradientModelAdapterLLM as Direct

    assert GradientModelAdapterLLM is Direct


def test_importing_harness_does_not_load_heavy_dependencies() -> None:
    code = (
        "import sys, harness, harness.cli; "
        "heavy = [m for m in ('llama_index.core', 'gradientai', 'matplotlib', 'pandas') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
