"""Resume and merge see every input: a changed dataset is named, never mixed into the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.errors import HarnessError
from harness.records.merge import merge_runs
from harness.records.store import read_manifest, read_records

Write = Callable[..., Path]
CSV = "question,answer\nsay one,one\nsay two,two\nsay three,three\nsay four,four\n"


def _suite(write_suite: Write) -> Path:
    write_suite('models:\n  - {name: base, slug: base, default: "base {{ prompt }}"}\n', "m.yaml")
    write_suite(CSV, "data/questions.csv")
    return write_suite(
        "name: inputs\nemulator: {config: m.yaml}\n"
        "adapters:\n  base: {type: gradient-base, served_by: emulator, base_model_slug: base}\n"
        "datasets:\n  - path: data/questions.csv\n"
        "    columns: {prompt: question, reference: answer}\n"
        "    expect: [contains: '{{ reference }}']\n"
    )


def _run(suite: Path, out: Path, run_id: str, **options: object) -> None:
    run_suite(load_suite(suite), RunOptions(output_dir=out, run_id=run_id, **options))


def test_run_json_lists_every_input_with_its_sha256(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite)
    _run(suite, tmp_path / "reports", "r")
    listed = read_manifest(tmp_path / "reports" / "r").execution["suite_inputs"]
    assert {(i["kind"], i["path"]) for i in listed} == {
        ("suite file", "suite.yaml"),
        ("dataset", "data/questions.csv"),
        ("emulator config", "m.yaml"),
    }
    assert all(len(i["sha256"]) == 64 for i in listed)


def test_resume_refuses_an_edited_dataset_and_names_it(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite)
    _run(suite, tmp_path / "reports", "r")
    write_suite(CSV.replace("say two,two", "say deux,deux"), "data/questions.csv")
    with pytest.raises(HarnessError) as exc:
        _run(suite, tmp_path / "reports", "r", resume=True)
    assert "dataset data/questions.csv changed since the run started" in str(exc.value)
    assert "m.yaml" not in str(exc.value)  # only what changed is named


def test_resume_with_unchanged_inputs_continues(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite)
    run_dir = tmp_path / "reports" / "r"
    _run(suite, tmp_path / "reports", "r")
    results = run_dir / "results.jsonl"
    lines = results.read_text().splitlines(keepends=True)
    results.write_text("".join(lines[:2]))  # as if the run stopped after two records
    _run(suite, tmp_path / "reports", "r", resume=True)
    records = read_records(run_dir)
    assert sorted(r.case_id for r in records) == [f"questions-{i}" for i in range(4)]
    assert len(read_manifest(run_dir).resumed_at) == 1


def test_merge_refuses_shards_whose_dataset_differs(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite)
    out = tmp_path / "reports"
    _run(suite, out, "s1", shard=(1, 2))
    write_suite(CSV.replace("say two,two", "say deux,deux"), "data/questions.csv")
    _run(suite, out, "s2", shard=(2, 2))
    with pytest.raises(HarnessError) as exc:
        merge_runs([out / "s1", out / "s2"], out, "all")
    assert "dataset data/questions.csv differs" in str(exc.value)
    assert not (out / "all").exists()


def test_merge_of_shards_with_the_same_inputs_succeeds(write_suite: Write, tmp_path: Path) -> None:
    suite = _suite(write_suite)
    out = tmp_path / "reports"
    _run(suite, out, "s1", shard=(1, 2))
    _run(suite, out, "s2", shard=(2, 2))
    merged = merge_runs([out / "s1", out / "s2"], out, "all")
    assert len(list(read_records(merged))) == 4
