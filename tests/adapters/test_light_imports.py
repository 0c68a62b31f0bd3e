"""Validating adapter options needs no heavy import: each check runs in a fresh interpreter.

``harness validate`` and ``harness schema`` resolve every adapter type's options model through
the registry; only ``build`` (making the LLM) may load llama-index, gradientai or openai.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("llama_index", "gradientai", "openai", "pandas", "matplotlib", "scipy")

# One valid options mapping per built-in adapter type. The llama-index type imports the class
# it names while validating, so its example names a class from the standard library.
EXAMPLES: dict[str, dict[str, object]] = {
    "gradient-adapter": {"model_adapter_id": "a" * 50, "access_token": "t", "max_tokens": 10},
    "gradient-base": {"base_model_slug": "llama2-7b-chat", "timeout": 5},
    "llama-index": {"class_path": "fractions:Fraction", "kwargs": {"numerator": 1}},
    "openai-compatible": {"model": "m", "api_base": "http://127.0.0.1:9/v1", "api_key": "k"},
    "openai-like": {"model": "m", "api_base": "http://127.0.0.1:9/v1", "is_chat_model": True},
    "replay": {"cassette": "cassette.jsonl", "timing": "recorded"},
}


def loaded_after(code: str) -> list[str]:
    """The heavy top-level packages in ``sys.modules`` after running ``code`` in a new process."""
    script = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_every_registered_options_model_validates_without_heavy_imports() -> None:
    code = f"""
from harness.adapters.base import adapters
examples = {EXAMPLES!r}
for entry in adapters:
    kind = entry.load()
    kind.options.model_json_schema()
    if kind.name in examples:
        kind.options.model_validate(examples.pop(kind.name))
assert not examples, f"not registered: {{sorted(examples)}}"
"""
    assert loaded_after(code) == []


def test_the_suite_schema_needs_no_heavy_imports() -> None:
    assert loaded_after("from harness.suite.schema import suite_schema; suite_schema()") == []


@pytest.mark.parametrize(
    "module",
    [
        "harness.adapters",
        "harness.adapters.builtin",
        "harness.adapters.openai_compatible",
        "harness.adapters.openai_like",
        "harness.adapters.replay",
    ],
)
def test_importing_an_adapter_type_module_is_light(module: str) -> None:
    assert loaded_after(f"import {module}") == []


def test_building_still_loads_the_llm() -> None:
    code = f"""
from harness.adapters.base import adapters
kind = adapters.get("gradient-adapter")
kind.build(kind.options.model_validate({EXAMPLES["gradient-adapter"]!r}))
"""
    assert "llama_index" in loaded_after(code)


def test_lazy_names_resolve_to_the_llm_classes() -> None:
    import harness.adapters as package
    from harness.adapters import (
        gradient,
        openai_compatible,
        openai_compatible_llm,
        replay,
        replay_llm,
    )

    assert package.GradientModelAdapterLLM is gradient.GradientModelAdapterLLM
    assert package.GradientBaseModelLLM is gradient.GradientBaseModelLLM
    assert openai_compatible.OpenAICompatibleLLM is openai_compatible_llm.OpenAICompatibleLLM
    assert openai_compatible.CONTEXT_WINDOW == openai_compatible_llm.CONTEXT_WINDOW
    assert replay.ReplayLLM is replay_llm.ReplayLLM
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = openai_compatible.Nope
