"""The suite's sha256 covers every input that shapes its cases, each listed with its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness import load_suite

Write = Callable[..., Path]

ADAPTERS = "adapters:\n  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
MODELS = 'models:\n  - {name: base, slug: base, default: "says {{ prompt }}"}\n'


def _dataset_suite(write_suite: Write) -> Path:
    write_suite("question,answer\nWhat is 2+2?,4\nCapital of France?,Paris\n", "data/q.csv")
    write_suite(MODELS, "models.yaml")
    write_suite("cases:\n  - {id: inc, prompt: included}\n", "common/more.yaml")
    return write_suite(
        "name: inputs\ninclude: [common/more.yaml]\nemulator: {config: models.yaml}\n"
        + ADAPTERS
        + "datasets:\n  - {path: data/q.csv, columns: {prompt: question, reference: answer}}\n"
    )


def _inputs(path: Path) -> dict[str, tuple[str, str]]:
    return {i.path: (i.kind, i.sha256) for i in load_suite(path).inputs}


def test_every_input_is_listed_with_its_kind(write_suite: Write) -> None:
    inputs = _inputs(_dataset_suite(write_suite))
    kinds = {path: kind for path, (kind, _) in inputs.items()}
    assert kinds == {
        "suite.yaml": "suite file",
        "common/more.yaml": "included file",
        "data/q.csv": "dataset",
        "models.yaml": "emulator config",
    }


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("data/q.csv", "question,answer\nWhat is 2+2?,5\nCapital of France?,Paris\n"),
        ("models.yaml", MODELS.replace("says", "answers")),
        ("common/more.yaml", "cases:\n  - {id: inc, prompt: included again}\n"),
    ],
)
def test_editing_any_input_changes_the_sha256_and_only_its_digest(
    write_suite: Write, name: str, edit: str
) -> None:
    suite = _dataset_suite(write_suite)
    before, sha = _inputs(suite), load_suite(suite).sha256
    write_suite(edit, name)
    after = _inputs(suite)
    assert load_suite(suite).sha256 != sha
    assert {p for p in before if before[p] != after[p]} == {name}


def test_unchanged_inputs_give_the_same_sha256(write_suite: Write) -> None:
    suite = _dataset_suite(write_suite)
    assert load_suite(suite).sha256 == load_suite(suite).sha256


def test_a_yaml_only_suite_keeps_its_former_sha256(write_suite: Write) -> None:
    import hashlib

    suite = write_suite("name: plain\n" + ADAPTERS + "cases:\n  - {id: a, prompt: hi}\n")
    assert load_suite(suite).sha256 == hashlib.sha256(suite.read_bytes()).hexdigest()


def test_a_custom_check_module_is_an_input(write_suite: Write) -> None:
    write_suite("def long_enough(output, case):\n    return len(output) > 3\n", "inputs_chk.py")
    suite = write_suite(
        "name: custom\n"
        + ADAPTERS
        + "cases:\n  - id: a\n    prompt: hi\n"
        + "    expect: [custom: {function: 'inputs_chk:long_enough'}]\n"
    )
    inputs = _inputs(suite)
    assert inputs["inputs_chk.py"][0] == "custom check"


def test_a_jsonl_dataset_is_an_input(write_suite: Write) -> None:
    write_suite('{"q": "one"}\n{"q": "two"}\n', "rows.jsonl")
    suite = write_suite(
        "name: jl\n" + ADAPTERS + "datasets:\n  - {path: rows.jsonl, columns: {prompt: q}}\n"
    )
    assert _inputs(suite)["rows.jsonl"][0] == "dataset"


def test_every_file_of_a_local_hf_folder_is_an_input(write_suite: Write, tmp_path: Path) -> None:
    from harness.suite.inputs import collect_inputs

    write_suite("q\none\n", "hfdata/train.csv")
    write_suite("q\ntwo\n", "hfdata/sub/test.csv")
    write_suite("x", "hfdata/.cache/lock")
    raw = {"hf": {"path": "hfdata"}, "columns": {"prompt": "q"}}
    found = collect_inputs(tmp_path, [], [(tmp_path / "suite.yaml", raw)], None, [], [])
    assert [(i.kind, i.path) for i in found] == [
        ("dataset", "hfdata/sub/test.csv"),
        ("dataset", "hfdata/train.csv"),
    ]


def test_a_replay_cassette_is_an_input(write_suite: Write, tmp_path: Path) -> None:
    from harness.records.cassette import CassetteEntry, CassetteWriter
    from tests.durability.support import case, record

    with CassetteWriter(tmp_path / "tape.jsonl") as writer:
        writer.write(CassetteEntry.from_record(record("a", "fast", prompt="hi"), case("a", "hi")))
    suite = write_suite(
        "name: replayed\nadapters:\n  fast: {type: replay, cassette: tape.jsonl}\n"
        "cases:\n  - {id: a, prompt: hi}\n"
    )
    assert _inputs(suite)["tape.jsonl"][0] == "cassette"
