"""Options models that check themselves: what a run would fail on, found without a request."""

from __future__ import annotations

from pathlib import Path

from harness.adapters.gradient_options import (
    MODEL_ID_LENGTH,
    GradientBaseModelLLMOptions,
    GradientModelAdapterLLMOptions,
    model_id_problems,
)
from harness.adapters.replay_options import ReplayOptions

GOOD_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"


def test_model_id_length_is_the_sdks() -> None:
    from harness.adapters.gradient_api import MODEL_ID_LENGTH as SDK_LENGTH

    assert MODEL_ID_LENGTH == SDK_LENGTH == len(GOOD_ID) == 50
    assert model_id_problems(GOOD_ID) == []
    (problem,) = model_id_problems("abc")
    assert "exactly 50 characters" in problem and "got 3: 'abc'" in problem


def test_gradient_adapter_id_checked_unless_from_the_environment() -> None:
    short = GradientModelAdapterLLMOptions(model_adapter_id="abc")
    assert [k for k, _ in short.load_problems(frozenset())] == ["model_adapter_id"]
    assert short.load_problems(frozenset({"model_adapter_id"})) == []
    assert GradientModelAdapterLLMOptions(model_adapter_id=GOOD_ID).load_problems(frozenset()) == []
    # a base model is named by a slug, resolved by the server: nothing to check here
    assert not hasattr(GradientBaseModelLLMOptions(base_model_slug="x"), "load_problems")


def _write(path: Path, *adapters: str) -> Path:
    path.write_text(
        "".join(
            f'{{"adapter": "{a}", "prompt": "p", "chunks": [], "chunk_offsets_ns": []}}\n'
            for a in adapters
        )
    )
    return path


def test_replay_cassette_problems(tmp_path: Path) -> None:
    missing = ReplayOptions(cassette=tmp_path / "none.jsonl")
    ((key, message),) = missing.load_problems(frozenset())
    assert key == "cassette" and message.startswith("cassette file not found: ")
    assert missing.load_problems(frozenset({"cassette"})) == []

    empty = ReplayOptions(cassette=_write(tmp_path / "empty.jsonl"))
    assert [m for _, m in empty.load_problems(frozenset())][0].endswith("holds no recordings")

    two = _write(tmp_path / "two.jsonl", "v1", "v2", "v1")
    ((key, message),) = ReplayOptions(cassette=two).load_problems(frozenset())
    assert key == "adapter" and "several adapters (v1, v2)" in message
    ((key, message),) = ReplayOptions(cassette=two, adapter="v3").load_problems(frozenset())
    assert key == "adapter" and "no recordings of adapter 'v3'" in message
    assert ReplayOptions(cassette=two, adapter="v2").load_problems(frozenset()) == []

    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text('{"adapter": "v1"}\nnot json\n{"adapter": "v1"}\n')
    ((key, message),) = ReplayOptions(cassette=damaged).load_problems(frozenset())
    assert key == "cassette" and message.startswith("cannot read the cassette: ")


def test_run_json_redaction_reaches_nested_options() -> None:
    """A literal key inside a llama-index adapter's kwargs must not reach run.json in clear."""
    from harness.adapters.base import redact_options

    options = {
        "class_path": "x:Y",
        "kwargs": {"api_key": "sk-live-1", "nested": [{"auth_token": "t-2"}], "model": "m"},
        "access_token": "tok",
        "max_tokens": 5,
    }
    redacted = redact_options(options)
    assert redacted["access_token"] == "***" and redacted["max_tokens"] == 5
    assert redacted["kwargs"]["api_key"] == "***" and redacted["kwargs"]["model"] == "m"
    assert redacted["kwargs"]["nested"] == [{"auth_token": "***"}]
    assert "sk-live-1" not in repr(redacted) and "t-2" not in repr(redacted)
    assert options["kwargs"]["api_key"] == "sk-live-1"  # the input is not changed
