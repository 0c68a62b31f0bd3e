"""Datasets as case sources: every format, column mapping, sample/limit, ids, values, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from harness.suite.datasets import (
    DatasetError,
    DatasetProblem,
    DatasetRow,
    DatasetSpec,
    load_dataset_rows,
)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SUITES = REPO / "suites"
TRIVIA_COLUMNS = {"prompt": "question", "id": "id", "reference": "answer", "tags": "category"}


def spec(**fields: Any) -> DatasetSpec:
    return DatasetSpec.model_validate(fields)


def load(base: Path, **fields: Any) -> list[DatasetRow]:
    return load_dataset_rows(spec(**fields), base)


def error(base: Path, **fields: Any) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        load_dataset_rows(spec(**fields), base)
    return info.value


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


def numbered(n: int) -> list[dict[str, Any]]:
    return [{"q": f"question {i}", "a": str(i)} for i in range(n)]


# ---------------------------------------------------------------------------------- formats


def test_shipped_trivia_csv() -> None:
    rows = load(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS)
    assert len(rows) == 30
    first = rows[0]
    assert first == DatasetRow(
        case_id="trivia-capital-france",
        prompt="What is the capital of France?",
        vars={
            "id": "capital-france",
            "question": "What is the capital of France?",
            "answer": "Paris",
            "category": "geography",
            "reference": "Paris",
        },
        tags=("geography",),
        row_index=0,
    )
    assert [r.row_index for r in rows] == list(range(30))
    assert len({r.case_id for r in rows}) == 30


def test_shipped_trivia_jsonl_matches_csv() -> None:
    csv_rows = load(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS)
    jsonl_rows = load(SUITES, path="data/trivia.jsonl", columns=TRIVIA_COLUMNS)
    assert jsonl_rows == csv_rows


def test_csv_keeps_text_exactly_and_empty_cells_are_none() -> None:
    rows = load(DATA, path="quoted.csv", columns={"prompt": "question", "id": "id"})
    assert [r.case_id for r in rows] == ["quoted-007", "quoted-008", "quoted-009"]
    assert rows[0].vars == {"id": "007", "question": "Agent, code?", "answer": "007", "note": "NA"}
    assert rows[1].prompt == "Two\r\nlines"  # quoted newline kept as written
    assert rows[1].vars["answer"] is None and rows[1].vars["note"] == "None"
    assert rows[2].vars["answer"] == "  x  " and rows[2].vars["note"] is None
    # the blank line after the multi-line record is skipped, not a row
    assert [r.row_index for r in rows] == [0, 1, 2]


def test_csv_with_bom(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes("\ufeffq,a\nhello,1\n".encode())
    (row,) = load(tmp_path, path="bom.csv", columns={"prompt": "q"})
    assert row.vars == {"q": "hello", "a": "1"}


def test_jsonl_values_become_plain_python() -> None:
    rows = load(DATA, path="types.jsonl", columns={"prompt": "q", "tags": "tags"})
    first, second = rows
    assert first.vars["int"] == 3 and type(first.vars["int"]) is int
    assert first.vars["float"] == 2.5
    assert first.vars["none"] is None and first.vars["nan"] is None
    assert first.vars["list"] == ["a", "b"]
    assert first.vars["nested"] == {"k": [1, None]}
    assert first.tags == ("x", "y")
    # a key missing from a row is None; keys seen in any row are columns
    assert first.vars["extra"] is None and second.vars["extra"] is True
    assert second.vars["float"] == 1000.0 and second.tags == ("solo",)
    assert [r.row_index for r in rows] == [0, 1]  # the blank line is not a row


def test_json_list(tmp_path: Path) -> None:
    write(tmp_path / "rows.json", json.dumps(numbered(3)))
    rows = load(tmp_path, path="rows.json", columns={"prompt": "q"})
    assert [r.case_id for r in rows] == ["rows-0", "rows-1", "rows-2"]
    assert rows[2].vars == {"q": "question 2", "a": "2"}


def test_json_splits() -> None:
    train = load(DATA, path="splits.json", columns={"prompt": "q", "reference": "a"})
    assert [r.prompt for r in train] == ["t0", "t1"]  # 'train' by default
    test = load(DATA, path="splits.json", split="test", columns={"prompt": "q"})
    assert [(r.prompt, r.vars["a"]) for r in test] == [("e0", "B0")]


def test_parquet_written_with_pyarrow(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "q": ["one", "two", "three"],
            "n": pa.array([1, 2, None], type=pa.int64()),
            "x": [0.5, float("nan"), None],
            "labels": [["a"], [], ["b", "c"]],
        }
    )
    pq.write_table(table, tmp_path / "data.parquet")
    rows = load(tmp_path, path="data.parquet", columns={"prompt": "q", "tags": "labels"})
    assert [r.vars for r in rows] == [
        {"q": "one", "n": 1, "x": 0.5, "labels": ["a"]},
        {"q": "two", "n": 2, "x": None, "labels": []},
        {"q": "three", "n": None, "x": None, "labels": ["b", "c"]},
    ]
    assert type(rows[0].vars["n"]) is int and type(rows[0].vars["x"]) is float
    assert [r.tags for r in rows] == [("a",), (), ("b", "c")]
    # an explicit format overrides the extension
    (tmp_path / "data.bin").write_bytes((tmp_path / "data.parquet").read_bytes())
    assert load(tmp_path, path="data.bin", format="parquet", columns={"prompt": "q"})[0].prompt


def test_explicit_format_for_an_unknown_extension(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "rows.txt", numbered(2))
    rows = load(tmp_path, path="rows.txt", format="jsonl", columns={"prompt": "q"})
    assert [r.case_id for r in rows] == ["rows-0", "rows-1"]


# ------------------------------------------------------------------------- Hugging Face (offline)


@pytest.fixture
def hf_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the hub; keep the Arrow cache inside the test's folder."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


@pytest.mark.usefixtures("hf_offline")
def test_hf_local_folder_of_csv_files(tmp_path: Path) -> None:
    write(tmp_path / "hfcsv" / "train.csv", "q,a\nhi,1\nyo,2\n")
    write(tmp_path / "hfcsv" / "test.csv", "q,a\nbye,3\n")
    rows = load(tmp_path, hf={"path": "hfcsv"}, columns={"prompt": "q", "reference": "a"})
    assert [r.case_id for r in rows] == ["hfcsv-0", "hfcsv-1"]
    # the Hugging Face CSV builder infers types (our own CSV reader keeps text)
    assert rows[0].vars == {"q": "hi", "a": 1, "reference": 1}
    test = load(tmp_path, hf={"path": "hfcsv"}, split="test", columns={"prompt": "q"})
    assert [r.prompt for r in test] == ["bye"]
    # a sliced split is the source: row indices count from the slice (limit/sample keep ids)
    sliced = load(tmp_path, hf={"path": "hfcsv"}, split="train[1:]", columns={"prompt": "q"})
    assert [(r.prompt, r.row_index, r.case_id) for r in sliced] == [("yo", 0, "hfcsv-0")]
    err = error(tmp_path, hf={"path": "hfcsv"}, split="tset", columns={"prompt": "q"})
    assert err.field == "split"
    assert "unknown split 'tset'" in err.message and "did you mean 'test'?" in err.message
    assert "available: train, test" in err.message


@pytest.mark.usefixtures("hf_offline")
def test_hf_local_folder_of_json_files(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "hfjson" / "train.jsonl", [{"q": "a", "n": [1, 2]}, {"q": "b", "n": []}])
    rows = load(tmp_path, name="hf", hf={"path": "hfjson"}, columns={"prompt": "q"})
    assert [(r.case_id, r.vars["n"]) for r in rows] == [("hf-0", [1, 2]), ("hf-1", [])]


@pytest.mark.usefixtures("hf_offline")
def test_hf_builder_with_data_files_relative_to_the_suite(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "files" / "part1.jsonl", numbered(2))
    write_jsonl(tmp_path / "files" / "part2.jsonl", numbered(3)[2:])
    rows = load(
        tmp_path,
        name="parts",
        hf={"path": "json", "data_files": {"train": "files/*.jsonl"}},
        columns={"prompt": "q"},
    )
    assert sorted(r.prompt or "" for r in rows) == ["question 0", "question 1", "question 2"]
    err = error(
        tmp_path, hf={"path": "json", "data_files": "nothing/*.jsonl"}, columns={"prompt": "q"}
    )
    assert err.field == "hf.data_files"
    assert "no file matches 'nothing/*.jsonl'" in err.message


@pytest.mark.usefixtures("hf_offline")
def test_hf_failures_are_dataset_errors(tmp_path: Path) -> None:
    import datasets

    before = (datasets.is_progress_bar_enabled(), datasets.logging.get_verbosity())
    write(tmp_path / "broken" / "train.jsonl", '{"q": "fine"}\n{"q": \n')
    err = error(tmp_path, hf={"path": "broken"}, columns={"prompt": "q"})
    assert err.field == "hf"
    # the loader's own words plus its innermost cause, e.g. "DatasetGenerationError: An error
    # occurred while generating the dataset (ArrowInvalid: JSON parse error: ... in row 1)"
    assert err.message.startswith("cannot load Hugging Face dataset hf:broken: ")
    assert "row 1" in err.message
    # progress bars and log level are silenced during the load only
    assert (datasets.is_progress_bar_enabled(), datasets.logging.get_verbosity()) == before
    # a hub name while offline fails fast, as an error about 'hf', without any request
    err = error(tmp_path, hf={"path": "no-such-owner/no-such-set"}, columns={"prompt": "q"})
    assert err.field == "hf" and "no-such-owner/no-such-set" in err.message
    # a Hub dataset's data_files name files in its repository, not beside the suite
    hub = {"path": "no-such-owner/no-such-set", "data_files": "en/*.json"}
    assert error(tmp_path, hf=hub, columns={"prompt": "q"}).field == "hf"


# ---------------------------------------------------------------------------- column mapping


def test_vars_as_a_list_and_as_a_mapping() -> None:
    base = {"path": "data/trivia.csv", "limit": 1}
    listed = load(SUITES, **base, columns={"prompt": "question", "vars": ["answer"]})
    assert listed[0].vars == {"answer": "Paris"}
    mapped = load(
        SUITES, **base, columns={"prompt": "question", "vars": {"gold": "answer", "q": "question"}}
    )
    assert mapped[0].vars == {"gold": "Paris", "q": "What is the capital of France?"}


@pytest.mark.parametrize("key", ["reference", "expected"])
def test_reference_and_its_alias_expected(key: str) -> None:
    rows = load(
        SUITES, path="data/trivia.csv", limit=1, columns={"prompt": "question", key: "answer"}
    )
    assert rows[0].vars["reference"] == "Paris"
    assert "expected" not in rows[0].vars


def test_prompt_template_leaves_the_prompt_to_the_loader() -> None:
    rows = load(
        SUITES,
        path="data/trivia.jsonl",
        prompt="Answer briefly: {{ question }}",
        columns={"vars": ["question"], "reference": "answer"},
        limit=2,
    )
    assert [r.prompt for r in rows] == [None, None]
    assert rows[1].vars == {"question": "What is the capital of Japan?", "reference": "Tokyo"}


def test_row_tags_leave_out_the_static_ones(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "t.jsonl",
        [
            {"q": "a", "t": ["easy", "smoke", None]},
            {"q": "b", "t": "hard"},
            {"q": "c", "t": None},
            {"q": "d", "t": 3},
        ],
    )
    rows = load(
        tmp_path, path="t.jsonl", tags=["smoke", "data"], columns={"prompt": "q", "tags": "t"}
    )
    # the static tags are left out, so a case's spec.tags + row.tags hold each tag once
    assert [r.tags for r in rows] == [("easy",), ("hard",), (), ("3",)]


def test_numeric_prompt_becomes_text(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "n.jsonl", [{"q": 12}])
    assert load(tmp_path, path="n.jsonl", columns={"prompt": "q"})[0].prompt == "12"


def test_name_and_derived_prefix(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "my data.v2.jsonl", numbered(1))
    assert load(tmp_path, path="my data.v2.jsonl", columns={"prompt": "q"})[0].case_id == (
        "my-data.v2-0"
    )
    named = load(tmp_path, name="qa", path="my data.v2.jsonl", columns={"prompt": "q"})
    assert named[0].case_id == "qa-0"


def test_id_column_values_of_any_type(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "ids.jsonl", [{"q": "a", "k": 17}, {"q": "b", "k": "x.1"}])
    rows = load(tmp_path, path="ids.jsonl", columns={"prompt": "q", "id": "k"})
    assert [r.case_id for r in rows] == ["ids-17", "ids-x.1"]


def test_spec_keeps_expect_and_generation_raw() -> None:
    s = spec(
        path="data/trivia.csv",
        columns={"prompt": "question"},
        expect=[{"contains": "{{ reference }}"}, {"rouge_l": {"min": 0.4}}],
        generation={"max_tokens": 16, "anything": [1]},
    )
    assert s.expect == [{"contains": "{{ reference }}"}, {"rouge_l": {"min": 0.4}}]
    assert s.generation == {"max_tokens": 16, "anything": [1]}


# ------------------------------------------------------------------------ sample, limit, ids


def test_limit_keeps_the_first_rows() -> None:
    rows = load(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS, limit=4)
    assert [r.row_index for r in rows] == [0, 1, 2, 3]
    big = load(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS, limit=1000)
    assert len(big) == 30


def test_sample_is_deterministic_and_seed_dependent() -> None:
    def pick(seed: int, n: int = 10) -> list[int]:
        rows = load(
            SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS, sample={"n": n, "seed": seed}
        )
        return [r.row_index for r in rows]

    assert pick(1) == pick(1)
    assert pick(1) != pick(2)
    assert pick(1) == sorted(pick(1)) and len(set(pick(1))) == 10  # source order, distinct
    assert sorted(pick(5, n=30)) == list(range(30))


def test_sample_is_pinned_across_runs_and_platforms() -> None:
    """random.Random(seed).sample: a change here changes users' sampled suites."""
    rows = load(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS, sample={"n": 5, "seed": 7})
    assert [r.row_index for r in rows] == [1, 4, 10, 12, 20]


def test_sample_then_limit_and_stable_ids(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "n.jsonl", numbered(50))
    full = {r.row_index: r for r in load(tmp_path, path="n.jsonl", columns={"prompt": "q"})}
    sampled = load(tmp_path, path="n.jsonl", columns={"prompt": "q"}, sample={"n": 20, "seed": 3})
    both = load(
        tmp_path, path="n.jsonl", columns={"prompt": "q"}, sample={"n": 20, "seed": 3}, limit=5
    )
    assert both == sampled[:5]
    for row in sampled:  # an id names the same row whatever the selection
        assert row == full[row.row_index]
        assert row.case_id == f"n-{row.row_index}"


def test_ids_from_the_id_column_survive_sampling() -> None:
    full = {
        r.row_index: r.case_id for r in load(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS)
    }
    sampled = load(
        SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS, sample={"n": 7, "seed": 11}
    )
    assert all(r.case_id == full[r.row_index] for r in sampled)


@pytest.fixture(scope="module")
def forty_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forty")
    write_jsonl(folder / "forty.jsonl", numbered(40))
    return folder


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=-(2**64), max_value=2**64), n=st.integers(1, 40))
def test_any_sample_is_n_distinct_rows_of_the_source(forty_rows: Path, seed: int, n: int) -> None:
    rows = load(
        forty_rows, path="forty.jsonl", columns={"prompt": "q"}, sample={"n": n, "seed": seed}
    )
    indices = [r.row_index for r in rows]
    assert len(indices) == n == len(set(indices))
    assert set(indices) <= set(range(40))
    assert all(r.prompt == f"question {r.row_index}" for r in rows)


# ---------------------------------------------------------------------------------- errors


def test_missing_file_names_the_resolved_path_and_suggests(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "trivia.jsonl", numbered(1))
    err = error(tmp_path, path="trivai.jsonl", columns={"prompt": "q"})
    assert err.field == "path"
    assert err.message == (
        f"file not found: {(tmp_path / 'trivai.jsonl').resolve()} ('trivai.jsonl' is relative "
        "to the suite's folder); did you mean 'trivia.jsonl'?"
    )
    (tmp_path / "folder.csv").mkdir()
    err = error(tmp_path, path="folder.csv", columns={"prompt": "q"})
    assert err.field == "path" and "is a folder" in err.message


def test_unknown_extension(tmp_path: Path) -> None:
    err = error(tmp_path, path="rows.txt", columns={"prompt": "q"})
    assert err.field == "format"
    assert err.message == (
        "cannot tell the format of 'rows.txt' from its extension; "
        "set it to one of csv, json, jsonl, parquet"
    )


def test_bad_jsonl_lines_are_all_reported_with_line_numbers() -> None:
    err = error(DATA, path="bad.jsonl", columns={"prompt": "q"})
    assert [p.field for p in err.problems] == ["path", "path", "path"]
    messages = [p.message for p in err.problems]
    assert messages[0].startswith("bad.jsonl:2: invalid JSON: Unterminated string")
    assert messages[1] == "bad.jsonl:4: expected a JSON object per line, got a list"
    assert messages[2].startswith("bad.jsonl:6: invalid JSON: ")
    assert str(err).splitlines()[0].startswith("path: bad.jsonl:2: invalid JSON")


def test_many_bad_lines_are_capped(tmp_path: Path) -> None:
    write(tmp_path / "junk.jsonl", "nope\n" * 25)
    err = error(tmp_path, path="junk.jsonl", columns={"prompt": "q"})
    assert len(err.problems) == 10
    assert err.problems[-1].message.endswith("(and 15 more bad lines)")


def test_malformed_csv(tmp_path: Path) -> None:
    write(tmp_path / "q.csv", 'q,a\nok,1\n"bad"x,2\n')
    err = error(tmp_path, path="q.csv", columns={"prompt": "q"})
    assert err.field == "path"
    assert err.message.startswith("q.csv:3: malformed CSV: ")


def test_ragged_csv_rows_name_their_lines() -> None:
    err = error(DATA, path="ragged.csv", columns={"prompt": "question"})
    assert [p.message for p in err.problems] == [
        "ragged.csv:3: 2 fields, the header has 3",
        "ragged.csv:4: 4 fields, the header has 3",
    ]


def test_csv_header_problems(tmp_path: Path) -> None:
    write(tmp_path / "h.csv", "q,a,q,\n1,2,3,4\n")
    err = error(tmp_path, path="h.csv", columns={"prompt": "q"})
    assert [p.message for p in err.problems] == [
        "h.csv:1: duplicate column 'q' in the header",
        "h.csv:1: header column 4 has no name",
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", "", "empty.csv: the file is empty; expected a header row"),
        ("header.csv", "q,a\n", "header.csv has no rows"),
        ("blank.jsonl", "\n\n", "blank.jsonl has no rows"),
        ("list.json", "[]", "list.json has no rows"),
    ],
)
def test_empty_sources(tmp_path: Path, name: str, content: str, expected: str) -> None:
    write(tmp_path / name, content)
    err = error(tmp_path, path=name, columns={"prompt": "q"})
    assert (err.field, err.message) == ("path", expected)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes(b"q\nok\ncaf\xe9\n")
    err = error(tmp_path, path="latin.csv", columns={"prompt": "q"})
    assert err.message == "latin.csv:3: the file is not UTF-8 text (byte 0xe9)"


def test_bad_json_files(tmp_path: Path) -> None:
    write(tmp_path / "syntax.json", '[\n  {"q": 1},\n  {"q": 2\n]\n')
    err = error(tmp_path, path="syntax.json", columns={"prompt": "q"})
    assert err.message.startswith("syntax.json:4: invalid JSON: Expecting ',' delimiter")
    write(tmp_path / "scalars.json", '[{"q": "a"}, 3, "x"]')
    err = error(tmp_path, path="scalars.json", columns={"prompt": "q"})
    assert [p.message for p in err.problems] == [
        "scalars.json row 1: expected a JSON object, got a number",
        "scalars.json row 2: expected a JSON object, got a string",
    ]
    write(tmp_path / "shape.json", '{"version": 1, "data": []}')
    err = error(tmp_path, path="shape.json", columns={"prompt": "q"})
    assert err.message == (
        "shape.json: expected a list of row objects, or a mapping of split name to such a list; "
        "got a mapping whose key 'version' holds a number"
    )


def test_split_errors(tmp_path: Path) -> None:
    err = error(DATA, path="splits.json", split="tset", columns={"prompt": "q"})
    assert (err.field, err.message) == (
        "split",
        "unknown split 'tset' in splits.json (did you mean 'test'?); available: train, test",
    )
    write(tmp_path / "only_test.json", '{"test": [{"q": "x"}]}')
    err = error(tmp_path, path="only_test.json", columns={"prompt": "q"})
    assert (err.field, err.message) == (
        "split",
        "only_test.json has no 'train' split; choose one with 'split': test",
    )
    write(tmp_path / "rows.json", '[{"q": "x"}]')
    err = error(tmp_path, path="rows.json", split="train", columns={"prompt": "q"})
    assert (err.field, err.message) == (
        "split",
        "rows.json holds one list of rows, not splits; remove 'split'",
    )
    err = error(SUITES, path="data/trivia.csv", split="train", columns={"prompt": "question"})
    assert err.field == "split"
    assert err.message == (
        "'split' applies to 'hf' and to JSON files holding {split: [rows]}; "
        "data/trivia.csv is a CSV file"
    )


def test_unknown_columns_are_reported_together() -> None:
    err = error(
        SUITES,
        path="data/trivia.csv",
        columns={
            "prompt": "questoin",
            "id": "id",
            "vars": ["answr", "category", "zzz"],
            "tags": "categroy",
        },
    )
    available = "available: id, question, answer, category"
    assert [(p.field, p.message) for p in err.problems] == [
        (
            "columns.prompt",
            f"unknown column 'questoin' in data/trivia.csv (did you mean 'question'?); {available}",
        ),
        (
            "columns.tags",
            f"unknown column 'categroy' in data/trivia.csv (did you mean 'category'?); {available}",
        ),
        (
            "columns.vars[0]",
            f"unknown column 'answr' in data/trivia.csv (did you mean 'answer'?); {available}",
        ),
        ("columns.vars[2]", f"unknown column 'zzz' in data/trivia.csv; {available}"),
    ]
    assert err.problems[2].path == ("columns", "vars", 0)
    err = error(
        SUITES, path="data/trivia.csv", columns={"prompt": "question", "vars": {"g": "anser"}}
    )
    assert err.field == "columns.vars.g" and err.problems[0].path == ("columns", "vars", "g")


def test_sample_larger_than_the_dataset() -> None:
    err = error(SUITES, path="data/trivia.csv", columns=TRIVIA_COLUMNS, sample={"n": 31, "seed": 1})
    assert (err.field, err.message) == (
        "sample.n",
        "cannot sample 31 rows from a dataset of 30 rows",
    )
    assert err.problems[0].path == ("sample", "n")


def test_empty_id_names_its_row() -> None:
    err = error(DATA, path="quoted.csv", columns={"prompt": "question", "id": "note"})
    # note column: NA, None, (empty): no duplicate, one empty
    assert [(p.field, p.message) for p in err.problems] == [
        ("columns.id", "quoted.csv:6 (row 2): empty id in column 'note'"),
    ]


def test_duplicate_ids_name_both_rows(tmp_path: Path) -> None:
    write(tmp_path / "d.csv", "k,q\na,x\nb,y\na,z\nwith space,w\nb,v\n")
    err = error(tmp_path, path="d.csv", columns={"prompt": "q", "id": "k"})
    assert [p.message for p in err.problems] == [
        "duplicate id 'a' in column 'k': d.csv:2 (row 0) and d.csv:4 (row 2)",
        "d.csv:5 (row 3): id 'with space' in column 'k' cannot be part of a case id "
        "(letters, digits and _ . : - only)",
        "duplicate id 'b' in column 'k': d.csv:3 (row 1) and d.csv:6 (row 4)",
    ]
    # checked over every row, so a limit does not hide them
    assert error(tmp_path, path="d.csv", columns={"prompt": "q", "id": "k"}, limit=1).problems


def test_empty_prompts_name_their_rows(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "p.jsonl",
        [{"q": "fine"}, {"q": ""}, {"q": "   "}, {"other": 1}, {"q": ["a"]}, {"q": None}],
    )
    err = error(tmp_path, path="p.jsonl", columns={"prompt": "q"})
    assert [(p.field, p.message) for p in err.problems] == [
        ("columns.prompt", "p.jsonl:2 (row 1): empty prompt in column 'q'"),
        ("columns.prompt", "p.jsonl:3 (row 2): empty prompt in column 'q'"),
        ("columns.prompt", "p.jsonl:4 (row 3): empty prompt in column 'q'"),
        ("columns.prompt", "p.jsonl:5 (row 4): the prompt in column 'q' is a list, not text"),
        ("columns.prompt", "p.jsonl:6 (row 5): empty prompt in column 'q'"),
    ]
    # only the selected rows become cases, so only they need a prompt
    assert len(load(tmp_path, path="p.jsonl", columns={"prompt": "q"}, limit=1)) == 1


def test_row_names_without_line_numbers(tmp_path: Path) -> None:
    write(tmp_path / "p.json", '[{"q": "a"}, {"q": ""}]')
    err = error(tmp_path, path="p.json", columns={"prompt": "q"})
    assert err.message == "p.json row 1: empty prompt in column 'q'"


def test_dataset_error_constructed_directly() -> None:
    err = DatasetError("cannot sample", "sample.n")
    assert (err.field, err.message, str(err)) == (
        "sample.n",
        "cannot sample",
        "sample.n: cannot sample",
    )
    assert err.problems == (DatasetProblem(("sample", "n"), "cannot sample"),)
    assert DatasetError("x", "columns.vars[1]").problems[0].path == ("columns", "vars", 1)


# --------------------------------------------------------------------------- spec validation


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"columns": {"prompt": "q"}}, "give exactly one of 'path' (a local file) or 'hf'"),
        (
            {"path": "a.csv", "hf": {"path": "x"}, "columns": {"prompt": "q"}},
            "give exactly one of 'path'",
        ),
        ({"path": "a.csv"}, "give the prompt column as 'columns.prompt', or a 'prompt' template"),
        (
            {"path": "a.csv", "prompt": "{{ q }}", "columns": {"prompt": "q"}},
            "give 'columns.prompt' or a 'prompt' template, not both",
        ),
        (
            {"hf": {"path": "x"}, "format": "csv", "columns": {"prompt": "q"}},
            "'format' applies to 'path'",
        ),
        (
            {"path": "a.csv", "columns": {"prompt": "q", "reference": "a", "expected": "b"}},
            "give 'reference' or its alias 'expected', not both",
        ),
        (
            {
                "path": "a.csv",
                "columns": {"prompt": "q", "reference": "a", "vars": {"reference": "b"}},
            },
            "the var 'reference' is set both in 'vars' and by 'reference'",
        ),
        ({"path": "a.csv", "name": "bad name", "columns": {"prompt": "q"}}, "name"),
        ({"path": "a.csv", "columns": {"prompt": "q", "promt": "x"}}, "promt"),
        ({"path": "a.csv", "colums": {}, "prompt": "x"}, "colums"),
        ({"path": "a.csv", "prompt": "x", "limit": 0}, "limit"),
        ({"path": "a.csv", "prompt": "x", "sample": {"n": 0}}, "sample.n"),
        ({"path": "a.csv", "prompt": "x", "sample": {"seed": 1}}, "sample.n"),
        ({"path": "a.csv", "prompt": "x", "format": "xlsx"}, "format"),
    ],
)
def test_spec_validation(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        DatasetSpec.model_validate(fields)
    text = "\n".join(
        ".".join(map(str, e["loc"])) + ": " + e["msg"] for e in info.value.errors(include_url=False)
    )
    assert fragment in text


def test_sample_seed_defaults_to_zero() -> None:
    s = spec(path="a.csv", prompt="x", sample={"n": 3})
    assert s.sample is not None and s.sample.seed == 0


def test_every_field_is_described_in_the_json_schema() -> None:
    schema = DatasetSpec.model_json_schema()
    models = [schema, *schema["$defs"].values()]
    missing = [
        f"{m.get('title')}.{name}"
        for m in models
        for name, prop in m.get("properties", {}).items()
        if "description" not in prop
    ]
    assert missing == []
    assert schema["additionalProperties"] is False


def test_heavy_libraries_load_lazily() -> None:
    """Importing the module adds none of pyarrow, pandas, numpy or datasets to `import harness`."""
    code = (
        "import sys; import harness; before = set(sys.modules); "
        "import harness.suite.datasets; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new & {'pyarrow', 'pandas', 'numpy', 'datasets'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
