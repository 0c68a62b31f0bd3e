"""Config models and loading: derived ids, inference, and file:line messages for bad files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pydantic
import pytest

from harness.emulator import EmulatorConfig, SimulatedModel, load_emulator_config
from harness.emulator.load import load_default_config
from harness.emulator.profiles import derive_model_id
from harness.errors import SuiteError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "emulator.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_emulator_config(path)
    return [str(loc) for loc in info.value.locations]


def test_derived_ids_are_stable_gradient_shaped_and_50_chars() -> None:
    base = derive_model_id("llama", "baseModel")
    adapter = derive_model_id("llama", "modelAdapter")
    assert base == derive_model_id("llama", "baseModel")
    assert base.endswith("_base_ml_model") and adapter.endswith("_model_adapter")
    assert len(base) == len(adapter) == 50
    assert base[:36] != adapter[:36]
    assert derive_model_id("other", "baseModel") != base


def test_type_is_inferred_from_slug_and_defaults_filled() -> None:
    base = SimulatedModel(name="b", slug="b")
    adapter = SimulatedModel(name="a", base_model="b")
    assert (base.type, base.capabilities, base.model_id) == (
        "baseModel",
        ["complete", "fineTune"],
        derive_model_id("b", "baseModel"),
    )
    assert adapter.type == "modelAdapter"
    assert adapter.id == derive_model_id("a", "modelAdapter")


def test_explicit_id_is_kept() -> None:
    given = "12345678-1234-1234-1234-123456789012_model_adapter"
    cfg = EmulatorConfig.model_validate(
        {"models": [{"name": "b", "slug": "b"}, {"id": given, "name": "a", "base_model": "b"}]}
    )
    assert cfg.model("a").model_id == given
    assert cfg.model(given).name == "a"
    assert cfg.model("b").is_base
    with pytest.raises(KeyError):
        cfg.model("missing")


def test_base_model_may_be_referenced_by_id() -> None:
    base_id = derive_model_id("b", "baseModel")
    cfg = EmulatorConfig.model_validate(
        {"models": [{"name": "b", "slug": "b"}, {"name": "a", "base_model": base_id}]}
    )
    assert cfg.model("a").base_model == base_id


def test_python_construction_runs_cross_checks_too() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"models\[0\]\.base_model: 'nope'"):
        EmulatorConfig.model_validate({"models": [{"name": "a", "base_model": "nope"}]})


def test_good_file_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        seed: 3
        access_token: tok
        workspace_id: ws
        models:
          - name: Base
            slug: base
          - name: Adapter
            base_model: base
            responses:
              - prompt: hi
                answer: hello
              - regex: '^(\\w+)$'
                answer: "{{ match[1] | upper }}"
            latency: {delay_ms: 5, per_token_ms: 1, jitter_ms: 2}
            faults: {rate_limit: 0.1, retry_after_s: 3, server_error: 0.1, hang: 0.1, hang_s: 5}
        """,
    )
    cfg = load_emulator_config(path)
    assert (cfg.seed, cfg.access_token, cfg.workspace_id) == (3, "tok", "ws")
    adapter = cfg.model("Adapter")
    assert adapter.faults.retry_after_s == 3
    assert adapter.latency.per_token_ms == 1
    assert [r.prompt for r in adapter.responses] == ["hi", None]


def test_default_config_is_valid() -> None:
    cfg = load_default_config()
    assert any(m.is_base for m in cfg.models) and any(not m.is_base for m in cfg.models)


def test_field_errors_point_at_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        seed: 1
        acces_token: x
        models:
          - name: base
            slug: base
            capabilities: [complete, chat]
          - name: adapter
            base_model: base
            responses:
              - prompt: hi
                regex: "h"
                answer: hello
              - regex: "(unclosed"
                answer: "x"
              - prompt: a
                answer: "{{ user }}"
              - prompt: b
                answer: "{% if %}"
            latency: {delay_ms: -1}
            faults: {rate_limit: 0.7, server_error: 0.5}
        """,
    )
    errors = errors_of(path)
    expected = [
        (2, "unknown key 'acces_token'", "did you mean 'access_token'"),
        (6, "models[0].capabilities[1]", "'complete' or 'fineTune'"),
        (10, "models[1].responses[0]", "exactly one of 'prompt' or 'regex'"),
        (13, "models[1].responses[1].regex", "invalid regular expression"),
        (16, "models[1].responses[2].answer", "undefined variable(s) user"),
        (18, "models[1].responses[3].answer", "invalid Jinja2 template"),
        (19, "models[1].latency.delay_ms", "greater than or equal to 0"),
        (20, "models[1].faults", "must be at most 1"),
    ]
    assert len(errors) == len(expected)
    for error, (line, where, what) in zip(errors, expected, strict=True):
        assert error.startswith(f"{path}:{line}:"), error
        assert where in error and what in error, error


def test_cross_model_errors_point_at_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        models:
          - name: base
            slug: base
          - name: adapter
            base_model: nope
          - name: base
            slug: base
          - name: x
            id: short
            slug: s
            base_model: base
          - name: y
          - name: z
            type: baseModel
          - name: w
            type: modelAdapter
            slug: w
            capabilities: [complete]
            base_model: base
          - name: v
            slug: v
            latest_update_time: 2024-05-01T00:00:00Z
        """,
    )
    errors = errors_of(path)
    expected = [
        (5, "models[1].base_model: 'nope' is not the slug or id of a declared base model"),
        (6, "models[2].name: duplicate model id"),
        (7, "models[2].slug: duplicate slug 'base'"),
        (9, "models[3].id: expected exactly 50 characters"),
        (11, "models[3].base_model: 'base_model' applies to model adapters only"),
        (12, "models[4]: a model adapter needs 'base_model'"),
        (13, "models[5]: a base model needs a 'slug'"),
        (17, "models[6].slug: 'slug' applies to base models only"),
        (18, "models[6].capabilities: 'capabilities' applies to base models only"),
        (22, "models[7].latest_update_time: 'latest_update_time' applies to model adapters"),
    ]
    assert len(errors) == len(expected), errors
    for error, (line, fragment) in zip(errors, expected, strict=True):
        assert error.startswith(f"{path}:{line}:"), error
        assert fragment in error, error


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("- a\n- b\n", "expected a mapping"),
        ("models: !!python/object:os.system {}\n", "not allowed"),
        ("models:\n\t- name: x\n", "tab"),
        ("models: [\n", "invalid YAML"),
    ],
)
def test_unreadable_files_are_one_line_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "emulator.yaml"
    path.write_text(text, encoding="utf-8")
    errors = errors_of(path)
    assert len(errors) == 1
    assert errors[0].startswith(str(path)) and fragment in errors[0], errors


def test_missing_file(tmp_path: Path) -> None:
    assert errors_of(tmp_path / "absent.yaml") == [f"{tmp_path / 'absent.yaml'}: file not found"]


def test_new_latency_fault_and_chat_fields_default_so_old_configs_stay_valid() -> None:
    model = SimulatedModel(name="b", slug="b", latency={"delay_ms": 5}, faults={"hang": 0.5})
    assert model.latency.itl_jitter_ms == 0
    assert model.faults.disconnect == 0
    assert model.chat_prompt == "last_user"
    assert SimulatedModel(name="b", slug="b", chat_prompt="transcript").chat_prompt == "transcript"


def test_new_fields_are_checked_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        models:
          - name: b
            slug: b
            chat_prompt: whole
            latency: {itl_jitter_ms: -1}
            faults: {hang: 0.6, disconnect: 0.6}
        """,
    )
    errors = errors_of(path)
    assert len(errors) == 3, errors
    assert errors[0].startswith(f"{path}:4:") and "'last_user' or 'transcript'" in errors[0]
    assert errors[1].startswith(f"{path}:5:") and "itl_jitter_ms" in errors[1]
    assert errors[2].startswith(f"{path}:6:") and "disconnect must be at most 1" in errors[2]
