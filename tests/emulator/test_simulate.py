"""The simulation engine without HTTP: rules, truncation, draws and fault rates."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import harness.emulator
from harness.emulator import EmulatorConfig
from harness.emulator.simulate import (
    CompiledModel,
    TemplateFailed,
    compile_models,
    draw_uniforms,
    truncate_tokens,
)


def compiled(**model: Any) -> CompiledModel:
    cfg = EmulatorConfig.model_validate(
        {"seed": 5, "models": [{"name": "b", "slug": "b", **model}]}
    )
    return next(iter(compile_models(cfg).values()))


def test_public_api_is_sorted_and_complete() -> None:
    assert harness.emulator.__all__ == sorted(harness.emulator.__all__)
    for name in harness.emulator.__all__:
        assert hasattr(harness.emulator, name)
    assert harness.emulator.DEFAULT_ACCESS_TOKEN == "emulator-token"
    assert harness.emulator.DEFAULT_WORKSPACE_ID == "emulator-workspace"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a b c", None, ("a b c", 3, False)),
        ("a b c", 3, ("a b c", 3, False)),
        ("a b c", 2, ("a b", 2, True)),
        ("  a\n\nb  c ", 2, ("  a\n\nb", 2, True)),
        ("", 1, ("", 0, False)),
    ],
)
def test_truncate_tokens(text: str, limit: int | None, expected: tuple[str, int, bool]) -> None:
    assert truncate_tokens(text, limit) == expected


def test_draws_are_uniform_in_unit_interval_and_keyed_by_every_input() -> None:
    draws = draw_uniforms(1, "m", "p", 0)
    assert draws == draw_uniforms(1, "m", "p", 0)
    assert all(0.0 <= u < 1.0 for u in draws)
    others = {
        draw_uniforms(*key)
        for key in [(2, "m", "p", 0), (1, "n", "p", 0), (1, "m", "q", 0), (1, "m", "p", 1)]
    }
    assert draws not in others and len(others) == 4


def test_fault_rates_follow_the_probabilities() -> None:
    model = compiled(faults={"rate_limit": 0.2, "server_error": 0.3, "hang": 0.1, "hang_s": 9})
    kinds = Counter()
    for n in range(4000):
        outcome = model.decide("p", n, None)
        kinds["hang" if outcome.hang_s == 9 else outcome.kind] += 1
    assert 0.16 < kinds["rate_limit"] / 4000 < 0.24
    assert 0.26 < kinds["server_error"] / 4000 < 0.34
    assert 0.07 < kinds["hang"] / 4000 < 0.13
    assert 0.35 < kinds["ok"] / 4000 < 0.45


def test_latency_adds_delay_tokens_and_bounded_jitter() -> None:
    model = compiled(
        default="a b c d", latency={"delay_ms": 100, "per_token_ms": 10, "jitter_ms": 50}
    )
    delays = [model.decide("p", n, None).delay_s for n in range(200)]
    assert all(0.140 <= d < 0.190 for d in delays)
    assert len(set(delays)) > 100
    assert model.decide("p", 0, 2).delay_s == pytest.approx(delays[0] - 0.020)


def test_rule_order_and_template_context() -> None:
    model = compiled(
        responses=[
            {"regex": r"^(\d+)\+(\d+)$", "answer": "{{ match[1]|int + match[2]|int }}"},
            {"prompt": "1+1", "answer": "never: the regex above comes first"},
            {"prompt": "who", "answer": "{{ model.name }} / {{ model.slug }} / {{ model.type }}"},
            {"regex": "(?P<word>x+)", "answer": "{{ match.word }}|{{ match[0] }}|{{ prompt }}"},
        ],
        default="{{ prompt|length }}",
    )
    assert model.answer("1+1") == "2"
    assert model.answer("who") == "b / b / baseModel"
    assert model.answer("axxb") == "xx|xx|axxb"
    assert model.answer("hello") == "5"


def test_sandbox_blocks_unsafe_attribute_access() -> None:
    model = compiled(default="{{ prompt.__class__.__mro__ }}")
    with pytest.raises(TemplateFailed, match="default"):
        model.answer("x")


def test_guidance_choice() -> None:
    model = compiled(default="I think yes, probably")
    assert model.decide("p", 0, None, ["no", "yes"]).text == "yes"
    picked = {model.decide("p", n, None, ["red", "blue"]).text for n in range(50)}
    assert picked == {"red", "blue"}
