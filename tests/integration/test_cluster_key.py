"""A case's ``cluster`` (cases sharing a context) reaches its records, from YAML or a dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness import RunOptions, load_suite, run_suite
from harness.errors import SuiteError
from harness.records.store import read_records

Write = Callable[..., Path]
ID = "5a1e5b07-0001-4000-8000-00000000000a_model_adapter"
MODELS = f"""
models:
  - {{name: base, slug: base, default: "base"}}
  - {{id: {ID}, name: echo, base_model: base, default: "echo {{{{ prompt }}}}"}}
"""
HEAD = (
    "name: clustered\nemulator: {config: models.yaml}\nadapters:\n"
    f"  echo: {{type: gradient-adapter, served_by: emulator, model_adapter_id: {ID}}}\n"
)


def test_yaml_and_dataset_clusters_reach_the_records(write_suite: Write, tmp_path: Path) -> None:
    write_suite(MODELS, "models.yaml")
    write_suite(
        "id,question,doc\nq1,first?,doc-7\nq2,second?,\nq3,third?,doc-7\nq4,fourth?,12\n",
        "rows.csv",
    )
    suite = write_suite(
        HEAD
        + "cases:\n"
        + "  - {id: a1, prompt: about a, cluster: article-a}\n"
        + "  - {id: a2, prompt: more about a, cluster: article-a, matrix: {vars: {k: [1, 2]}}}\n"
        + "  - {id: lone, prompt: alone}\n"
        + "datasets:\n"
        + "  - {path: rows.csv, name: ds, columns: {prompt: question, id: id, cluster: doc}}\n"
    )
    loaded = load_suite(suite)
    assert {c.id: c.cluster for c in loaded.cases} == {
        "a1": "article-a",
        "a2[k=1]": "article-a",
        "a2[k=2]": "article-a",
        "lone": None,
        "ds-q1": "doc-7",
        "ds-q2": None,  # an empty cell: no cluster
        "ds-q3": "doc-7",
        "ds-q4": "12",
    }
    outcome = run_suite(loaded, RunOptions(output_dir=tmp_path / "reports", run_id="c", repeat=2))
    records = list(read_records(outcome.run_dir))
    assert len(records) == 16
    by_case: dict[str, set[str | None]] = {}
    for r in records:
        by_case.setdefault(r.case_id, set()).add(r.cluster)
    assert by_case == {c.id: {c.cluster} for c in loaded.cases}
    raw = (outcome.run_dir / "results.jsonl").read_text()
    assert '"cluster":"article-a"' in raw.replace(" ", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[x, y]", "expected a string, got ['x', 'y']"),
        ("7", "expected a string, got 7"),  # quote it: '007' stays '007'
        ("''", "at least 1 character"),
    ],
)
def test_a_bad_cluster_in_yaml_names_its_line(
    write_suite: Write, value: str, expected: str
) -> None:
    suite = write_suite(
        HEAD.replace("emulator: {config: models.yaml}\n", "")
        + "cases:\n  - {id: ok, prompt: fine}\n"
        + f"  - id: bad\n    prompt: p\n    cluster: {value}\n"
    )
    with pytest.raises(SuiteError) as info:
        load_suite(suite)
    (location,) = info.value.locations
    assert (Path(location.file).name, location.line) == ("suite.yaml", 8)
    assert location.message.startswith("cases[1].cluster: ") and expected in location.message


def test_a_bad_cluster_cell_names_its_row(write_suite: Write) -> None:
    write_suite('{"q": "fine", "doc": "d1"}\n{"q": "bad", "doc": ["d1", "d2"]}\n', "rows.jsonl")
    suite = write_suite(
        HEAD.replace("emulator: {config: models.yaml}\n", "")
        + "datasets:\n  - path: rows.jsonl\n    columns: {prompt: q, cluster: doc}\n"
    )
    with pytest.raises(SuiteError) as info:
        load_suite(suite)
    text = str(info.value)
    assert "rows.jsonl:2" in text, text
    assert "cluster in column 'doc' is a list" in text, text
