"""Suite features end to end through run_suite(): the emulator over loopback, real adapters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.records.store import read_manifest, read_records

Write = Callable[..., Path]
ADAPTER_ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"

MODELS = f"""
seed: 3
models:
  - {{name: base, slug: base}}
  - id: {ADAPTER_ID}
    name: echo
    base_model: base
    responses:
      - regex: 'Tell me about (\\w+)'
        answer: "{{{{ match[1] }}}} is lovely."
      - regex: 'Say hi in (\\w+)'
        answer: "hi ({{{{ match[1] }}}})"
    default: "echo: {{{{ prompt }}}}"
"""


def _suite(write_suite: Write, body: str) -> Path:
    write_suite(MODELS, "models.yaml")
    return write_suite(
        "name: features\nemulator: {config: models.yaml}\nadapters:\n"
        f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ADAPTER_ID}}}\n"
        + body
    )


def test_chat_matrix_and_repeat_records(write_suite: Write, tmp_path: Path) -> None:
    path = _suite(
        write_suite,
        (
            "cases:\n"
            "  - id: chat\n    vars: {topic: tea}\n    messages:\n"
            "      - {role: system, content: Be brief.}\n"
            "      - {role: user, content: 'Tell me about {{ topic }}.'}\n"
            "    expect: [contains: 'tea is lovely']\n"
            "  - id: hi\n    prompt: 'Say hi in {{ lang }}'\n    matrix: {vars: {lang: [en, fr]}}\n"
            "    repeat: 2\n    expect: [contains: '({{ lang }})']\n"
        ),
    )
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path / "out", run_id="r"))
    records = list(read_records(outcome.run_dir))
    keys = sorted((r.case_id, r.repeat) for r in records)
    assert keys == [
        ("chat", 0),
        ("hi[lang=en]", 0),
        ("hi[lang=en]", 1),
        ("hi[lang=fr]", 0),
        ("hi[lang=fr]", 1),
    ]
    assert all(r.passed for r in records), [(r.case_id, r.output) for r in records]
    chat = next(r for r in records if r.case_id == "chat")
    assert chat.prompt == "system: Be brief.\nuser: Tell me about tea."
    assert chat.output == "tea is lovely."


def test_env_secret_is_used_but_never_written(
    write_suite: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_GRADIENT_TOKEN", "tok-9f8e7d6c5b4a")
    write_suite(MODELS.replace("seed: 3", "seed: 3\naccess_token: tok-9f8e7d6c5b4a"), "models.yaml")
    path = write_suite(
        "name: env\nemulator: {config: models.yaml}\nadapters:\n  echo:\n"
        "    type: gradient-adapter\n    served_by: emulator\n"
        f"    model_adapter_id: {ADAPTER_ID}\n    access_token: ${{MY_GRADIENT_TOKEN}}\n"
        "cases: [{id: one, prompt: 'ping', expect: [contains: ping]}]\n"
    )
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path / "out", run_id="r"))
    (record,) = list(read_records(outcome.run_dir))
    assert record.error is None and record.passed  # the token from the environment worked
    manifest = read_manifest(outcome.run_dir)
    # the suite's own reference text: no secret in it (docs/suite-format.md, "Secrets")
    assert manifest.adapters[0].options["access_token"] == "${MY_GRADIENT_TOKEN}"
    for file in outcome.run_dir.iterdir():
        assert b"tok-9f8e7d6c5b4a" not in file.read_bytes(), file.name


def test_wrong_env_secret_fails_cases_without_leaking(
    write_suite: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_GRADIENT_TOKEN", "tok-wrong-123456")
    write_suite(MODELS.replace("seed: 3", "seed: 3\naccess_token: the-right-one"), "models.yaml")
    path = write_suite(
        "name: env\nemulator: {config: models.yaml}\nadapters:\n  echo:\n"
        "    type: gradient-adapter\n    served_by: emulator\n"
        f"    model_adapter_id: {ADAPTER_ID}\n    access_token: ${{MY_GRADIENT_TOKEN}}\n"
        "cases: [{id: one, prompt: 'ping'}]\n"
    )
    outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path / "out", run_id="r"))
    (record,) = list(read_records(outcome.run_dir))
    assert record.error is not None and record.error.type == "authentication"
    text = (outcome.run_dir / "results.jsonl").read_text()
    assert "tok-wrong-123456" not in text
    assert json.loads(text)["passed"] is False


def test_judge_is_asked_once_per_identical_judgement(write_suite: Write, tmp_path: Path) -> None:
    from harness.emulator import EmulatorServer, load_emulator_config

    config = load_emulator_config(
        write_suite(
            MODELS + '  - {name: judge, slug: judge, default: "Looks right.\\nSCORE: 8"}\n',
            "models.yaml",
        )
    )
    judge_id = next(m.model_id for m in config.models if m.slug == "judge")
    with EmulatorServer(config) as base_url:
        where = f"host: '{base_url}', access_token: t, workspace_id: w"
        path = write_suite(
            "name: judged\nadapters:\n"
            f"  echo: {{type: gradient-adapter, model_adapter_id: {ADAPTER_ID}, {where}}}\n"
            f"  grader: {{type: gradient-base, base_model_slug: judge, role: judge, {where}}}\n"
            "cases:\n  - id: same\n    prompt: ping\n    repeat: 4\n"
            "    expect: [llm_judge: {judge: grader, rubric: Echoes the prompt., min: 0.5}]\n"
        )
        outcome = run_suite(load_suite(path), RunOptions(output_dir=tmp_path / "out", run_id="r"))
        by_model = dict(server_stats(base_url)["by_model"])
    records = list(read_records(outcome.run_dir))
    assert len(records) == 4
    judged = [e for r in records for e in r.expectations if e.name == "llm_judge"]
    assert len(judged) == 4
    assert all(e.passed and e.score == pytest.approx(0.8) for e in judged), judged
    assert all("Looks right" in e.reason for e in judged)
    assert by_model[ADAPTER_ID] == {"200": 5}  # one model lookup, then every repeat
    assert by_model[judge_id] == {"200": 1}  # the identical judgement was asked once


def server_stats(base_url: str) -> dict[str, Any]:
    import urllib.request

    root = base_url.removesuffix("/api")
    with urllib.request.urlopen(f"{root}/_emulator/stats", timeout=10) as response:
        stats: dict[str, Any] = json.loads(response.read())
    return stats
