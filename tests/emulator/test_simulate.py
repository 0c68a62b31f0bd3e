"""The simulation engine without HTTP: rules, truncation, draws, fault rates, stream schedule."""

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
    cut_at_stop,
    draw_uniforms,
    render_chat_prompt,
    split_pieces,
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


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("one two three", ["one", " two", " three"]),
        ("  lead\n\ntrail  ", ["  lead", "\n\ntrail  "]),
        ("x", ["x"]),
        ("   ", ["   "]),  # no token: still one piece, so the deltas join to the text
        ("", []),
        ("héllo wörld", ["héllo", " wörld"]),
    ],
)
def test_split_pieces_carry_their_whitespace(text: str, pieces: list[str]) -> None:
    assert split_pieces(text) == pieces
    assert "".join(pieces) == text
    assert sum(1 for p in pieces if p.strip()) == len(text.split())


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        ([], "Hello world. Bye."),
        (["."], "Hello world"),
        (["Bye", "world"], "Hello "),  # the earliest occurrence wins, not the first listed
        (["absent"], "Hello world. Bye."),
    ],
)
def test_cut_at_stop(stop: list[str], expected: str) -> None:
    assert cut_at_stop("Hello world. Bye.", stop) == expected


def test_chat_prompt_renderings() -> None:
    messages = [("system", "Be terse."), ("user", "hi"), ("assistant", "yo"), ("user", "again")]
    assert render_chat_prompt(messages, "last_user") == "again"
    assert render_chat_prompt(messages, "transcript") == (
        "system: Be terse.\nuser: hi\nassistant: yo\nuser: again"
    )
    assert render_chat_prompt([("system", "s")], "last_user") == ""


def test_stop_then_max_tokens_and_which_finish_reason() -> None:
    model = compiled(default="a b c. d e")
    assert (model.decide("p", 0, None, stop=["."]).text, "stop") == ("a b c", "stop")
    cut = model.decide("p", 0, 2, stop=["."])
    assert (cut.text, cut.tokens, cut.finish_reason) == ("a b", 2, "length")
    assert model.decide("p", 0, 3, stop=["."]).finish_reason == "stop"


def test_stream_schedule_ttft_then_one_step_per_token() -> None:
    model = compiled(
        default="a b c d e", latency={"delay_ms": 200, "per_token_ms": 50, "jitter_ms": 0}
    )
    outcome = model.decide("p", 0, None)
    assert outcome.tokens == 5
    assert [outcome.token_due_s(k) for k in range(5)] == pytest.approx([0.2, 0.25, 0.3, 0.35, 0.4])
    # non-streaming: as before, one step after the last token would have streamed
    assert outcome.delay_s == pytest.approx(0.45)
    assert outcome.disconnect_after is None


def test_itl_jitter_is_per_token_bounded_and_seeded() -> None:
    model = compiled(default="a b c d e f g h", latency={"per_token_ms": 10, "itl_jitter_ms": 20})
    first = model.decide("p", 0, None)
    assert first == model.decide("p", 0, None)
    assert first.itl_jitter_s != model.decide("p", 1, None).itl_jitter_s
    gaps = [first.token_due_s(k + 1) - first.token_due_s(k) for k in range(7)]
    assert all(0.010 <= g < 0.030 for g in gaps)
    assert len(set(gaps)) == 7
    assert first.delay_s == pytest.approx(0.080 + sum(first.itl_jitter_s))
    assert (
        compiled(default="a b", latency={"per_token_ms": 10}).decide("p", 0, None).itl_jitter_s
        == ()
    )


def test_jitter_delays_the_first_token_only_once() -> None:
    model = compiled(default="a b c", latency={"per_token_ms": 10, "jitter_ms": 40})
    for n in range(20):
        outcome = model.decide("p", n, None)
        assert 0 <= outcome.ttft_s < 0.040
        assert outcome.token_due_s(2) - outcome.token_due_s(0) == pytest.approx(0.020)


def test_disconnect_band_cuts_at_half_the_tokens() -> None:
    model = compiled(
        default="a b c d e",
        latency={"delay_ms": 10, "per_token_ms": 5},
        faults={"rate_limit": 0.2, "hang": 0.2, "disconnect": 0.3},
    )
    outcomes = [model.decide("p", n, None) for n in range(2000)]
    cut = [o for o in outcomes if o.disconnect_after is not None]
    assert 0.25 < len(cut) / 2000 < 0.35
    assert all(o.kind == "ok" and o.hang_s == 0 for o in cut)  # bands never overlap
    assert {o.disconnect_after for o in cut} == {2}
    assert cut[0].disconnect_s == pytest.approx(0.020)
    empty = compiled(default="", faults={"disconnect": 1}).decide("p", 0, None)
    assert (empty.disconnect_after, empty.disconnect_s) == (0, 0.0)


def test_openai_ids_are_slugs_for_base_models_and_ids_for_adapters() -> None:
    cfg = EmulatorConfig.model_validate(
        {"models": [{"name": "Base", "slug": "base"}, {"name": "ad", "base_model": "base"}]}
    )
    base, adapter = compile_models(cfg).values()
    assert (base.openai_id, adapter.openai_id) == ("base", adapter.id)
    assert base.created == adapter.created == 1704067200  # 2024-01-01Z, the default
