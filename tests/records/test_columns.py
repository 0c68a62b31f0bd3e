"""The shared read of results.jsonl (records/columns.py) agrees with CaseRecord, line for line.

Real records come from runs of the embedded emulator over loopback (a judge, scores, repeats,
injected server errors with retries, emulated streaming); more come from hypothesis. Each
line's msgspec row must equal the row of the CaseRecord pydantic makes of it, and the tables
the paired engine gets from the columns must equal those FrameBuilder makes from CaseRecords.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.analysis.paired.frame import FrameBuilder, column_frames
from harness.analysis.summarize import summarize_records, summarize_run
from harness.records import CaseRecord, ErrorInfo, MetricResult, Timing
from harness.records.columns import RecordColumns, parse_row, read_columns, row_of
from harness.records.store import (
    RESULTS_FILE,
    ResultsCorruptError,
    find_duplicates,
    read_manifest,
    read_records,
)


def _lines(run_dir: Path) -> list[bytes]:
    return (run_dir / RESULTS_FILE).read_bytes().splitlines()


def test_real_records_decode_as_caserecord_does(real_runs: list[Path]) -> None:
    lines = [line for run in real_runs for line in _lines(run)]
    assert len(lines) > 150
    records = [CaseRecord.model_validate_json(line) for line in lines]
    # the runs hold what the reports read: errors, retries, judges' scores, emulated streams
    assert any(r.error is not None for r in records)
    assert any(r.attempts > 1 for r in records)
    assert any(m.score is not None and 0 < m.score < 1 for r in records for m in r.expectations)
    assert any(r.streaming_emulated for r in records) and any(r.repeat for r in records)
    assert any(r.timing is not None and r.timing.itl_mean_ms for r in records)
    for line, record in zip(lines, records, strict=True):
        assert parse_row(line) == row_of(record)


def test_real_columns_give_the_engine_the_frames_caserecords_give(real_runs: list[Path]) -> None:
    for run in real_runs:
        frames = column_frames(read_columns(run))
        builders: dict[str, FrameBuilder] = {}
        for record in read_records(run):
            builders.setdefault(record.adapter, FrameBuilder()).add(record)
        assert list(frames) == list(builders)
        for name, builder in builders.items():
            pd.testing.assert_frame_equal(frames[name], builder.frame(), check_exact=True)


def test_real_summary_from_columns_equals_the_summary_of_caserecords(
    real_runs: list[Path],
) -> None:
    for run in real_runs:
        from_file = summarize_run(run)
        from_models = summarize_records(read_manifest(run), read_records(run))
        assert from_file.model_dump() == from_models.model_dump()


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_score = st.none() | st.floats(0, 1) | st.floats(allow_nan=False, allow_infinity=False)
_ms = st.none() | st.floats(0, 1e7, allow_nan=False)
_metric = st.builds(
    MetricResult,
    name=st.sampled_from(["contains", "rouge_l", "llm_judge", "x"]),
    passed=st.booleans(),
    score=_score,
    reason=_text,
    measured=st.booleans(),
)
_error = st.none() | st.builds(
    ErrorInfo,
    type=_text,
    message=_text,
    status=st.none() | st.integers(100, 599),
    origin=st.sampled_from(["adapter", "judge"]),
)
_timing = st.none() | st.builds(
    Timing,
    sent_ns=st.integers(0, 2**62),
    end_ns=st.integers(0, 2**62),
    chunk_ns=st.lists(st.integers(0, 2**62), max_size=5),
    latency_ms=st.floats(0, 1e6),
    itl_mean_ms=_ms,
)
_record = st.builds(
    CaseRecord,
    run_id=_text,
    case_id=_text,
    adapter=_text,
    repeat=st.integers(0, 2**40),
    cluster=st.none() | _text,
    prompt=_text,
    output=st.none() | _text,
    passed=st.booleans(),
    score=_score,
    expectations=st.lists(_metric, max_size=4),
    latency_ms=_ms,
    ttft_ms=_ms,
    streaming_emulated=st.booleans(),
    tokens_per_s=_ms,
    attempts=st.integers(0, 9),
    cached=st.booleans(),
    timing_source=st.none() | st.sampled_from(["measured", "replayed", "recorded"]),
    timing=_timing,
    error=_error,
    started_at=_text,
    tags=st.lists(_text, max_size=3),
)
_unknown = st.dictionaries(
    st.text(min_size=1, max_size=8).map(lambda k: "zz_" + k),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=_record, unknown=_unknown)
def test_any_record_decodes_as_caserecord_does_unknown_fields_ignored(
    record: CaseRecord, unknown: dict[str, Any]
) -> None:
    raw = record.model_dump_json().encode()
    assert parse_row(raw) == row_of(CaseRecord.model_validate_json(raw))
    data = json.loads(raw)
    data.update(unknown)  # fields a newer harness or another tool wrote
    if data.get("timing") is not None:
        data["timing"]["zz_future"] = unknown
    with_unknown = json.dumps(data).encode()
    assert parse_row(with_unknown) == parse_row(raw)


@pytest.mark.parametrize(
    "change",
    [
        {"passed": 1},  # lax values pydantic takes and msgspec's strict mode does not
        {"repeat": 2.0},
        {"latency_ms": "12.5"},
        {"expectations": [{"name": "contains", "passed": "true", "score": "0.5"}]},
    ],
)
def test_lax_values_are_read_as_caserecord_reads_them(change: dict[str, Any]) -> None:
    data = json.loads(_minimal().model_dump_json())
    data.update(change)
    raw = json.dumps(data).encode()
    assert parse_row(raw) == row_of(CaseRecord.model_validate_json(raw))


def test_nan_and_infinity_are_read_as_caserecord_reads_them(tmp_path: Path) -> None:
    raw = _minimal().model_dump_json().replace('"latency_ms":null', '"latency_ms":NaN')
    raw = raw.replace('"ttft_ms":null', '"ttft_ms":Infinity').encode()
    row = parse_row(raw)
    assert row.latency_ms is not None and math.isnan(row.latency_ms)
    assert row.ttft_ms == math.inf
    (tmp_path / RESULTS_FILE).write_bytes(raw + b"\n")
    columns = read_columns(tmp_path)
    assert math.isnan(columns.latency_ms[0]) and columns.ttft_ms[0] == math.inf


def _minimal(**changes: Any) -> CaseRecord:
    fields: dict[str, Any] = {
        "run_id": "r",
        "case_id": "c1",
        "adapter": "a",
        "prompt": "p",
        "output": "o",
        "passed": True,
        "started_at": "2026-01-01T00:00:00Z",
    }
    fields.update(changes)
    return CaseRecord(**fields)


def _write(run_dir: Path, lines: list[str]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / RESULTS_FILE
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "bad",
    [
        '{"run_id": "r", "case_id": "c9", "adapt',  # a torn write with records after it
        '{"hello": "world"}',  # a foreign JSON object
        _minimal().model_dump_json().replace('"started_at":"2026-01-01T00:00:00Z",', ""),
        _minimal().model_dump_json().replace('"passed":true', '"passed":"maybe"'),
        '{"run_id": "r", "case_id": "c9", "adapter": "a", "prompt": "p", "output": "o", '
        '"passed": true, "started_at": "x", "expectations": [{"name": 3, "passed": true}]}',
        "[1, 2]",
    ],
)
def test_a_bad_line_gets_the_error_read_records_gives(tmp_path: Path, bad: str) -> None:
    good = _minimal().model_dump_json()
    path = _write(tmp_path, [good, bad, good])
    with pytest.raises(ResultsCorruptError) as expected:
        list(read_records(tmp_path))
    with pytest.raises(ResultsCorruptError) as got:
        read_columns(tmp_path)
    assert str(got.value) == str(expected.value)
    assert got.value.line == 2 and str(got.value).startswith(f"{path}:2: ")


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path, [_minimal().model_dump_json(), '{"run_id": "r", "case'])
    assert read_columns(tmp_path).records_read == 1
    assert len(read_columns(tmp_path / "no-such-run")) == 0


def test_a_duplicate_key_counts_once_latest_record_in_first_place(tmp_path: Path) -> None:
    lines = [
        _minimal(case_id="c1", output="first").model_dump_json(),
        _minimal(case_id="c2").model_dump_json(),
        _minimal(case_id="c1", repeat=1).model_dump_json(),
        _minimal(case_id="c1", output="second").model_dump_json(),
        _minimal(case_id="c2", adapter="b").model_dump_json(),
        _minimal(case_id="c1", output="third", prompt="other", passed=False).model_dump_json(),
    ]
    _write(tmp_path, lines)
    columns = read_columns(tmp_path)
    assert columns.records_read == 6 and len(columns) == 4 and columns.superseded == 2
    assert [columns.case_ids[c] for c in columns.case] == ["c1", "c2", "c1", "c2"]
    assert columns.output == ["third", "o", "o", "o"]
    assert columns.passed == [False, True, True, True]
    assert columns.prompt_of(0) == "other" and columns.prompt[1] is None
    assert list(columns.position) == [5, 1, 2, 4]
    assert columns.duplicates == find_duplicates(tmp_path)
    assert (columns.duplicates.superseded, columns.duplicates.keys) == (2, 1)
    assert columns.duplicates.example == ("c1", "a", 0)


def test_columns_of_records_equal_columns_read_from_the_file(real_runs: list[Path]) -> None:
    run = real_runs[1]
    read = read_columns(run)
    made = RecordColumns.of_records(read_records(run))
    for name in ("case", "adapter", "repeat", "passed", "error", "expectations", "output"):
        assert getattr(made, name) == getattr(read, name), name
    for name in ("latency_ms", "ttft_ms", "itl_mean_ms", "tokens_per_s"):
        assert [str(v) for v in getattr(made, name)] == [str(v) for v in getattr(read, name)]
    assert (made.case_ids, made.case_tags, made.adapters) == (
        read.case_ids,
        read.case_tags,
        read.adapters,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(_record, max_size=12),
    keys=st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xy"), st.integers(0, 1))),
)
def test_any_records_give_the_engine_the_frames_caserecords_give(
    records: list[CaseRecord], keys: list[tuple[str, str, int]]
) -> None:
    # few distinct keys, so that some records supersede others
    records = [
        r.model_copy(update={"case_id": c, "adapter": a, "repeat": k})
        for r, (c, a, k) in zip(records, keys * len(records), strict=False)
    ] or records
    frames = column_frames(RecordColumns.of_records(records))
    builders: dict[str, FrameBuilder] = {}
    for record in records:
        builders.setdefault(record.adapter, FrameBuilder()).add(record)
    assert list(frames) == list(builders)
    for name, builder in builders.items():
        pd.testing.assert_frame_equal(frames[name], builder.frame(), check_exact=True)
