"""results.jsonl durability: torn-line repair, damage reports, resume keys, writer speed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.records import CaseRecord, ErrorInfo
from harness.records.store import (
    RESULTS_FILE,
    RecordWriter,
    ResultsCorruptError,
    completed_keys,
    read_records,
    repair_results,
)
from tests.durability.support import record


def _write(run_dir: Path, *records: CaseRecord) -> Path:
    with RecordWriter(run_dir) as writer:
        for r in records:
            writer.write(r)
    return run_dir / RESULTS_FILE


def test_torn_last_line_is_cut_and_the_records_before_it_survive(tmp_path: Path) -> None:
    path = _write(tmp_path, record("c1"), record("c2"))
    whole = path.read_bytes()
    half = record("c3").model_dump_json()[:57].encode()
    with path.open("ab") as f:
        f.write(half)

    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2"]  # readers skip it
    assert repair_results(tmp_path) == len(half)
    assert path.read_bytes() == whole
    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2"]
    assert repair_results(tmp_path) == 0  # idempotent


def test_invalid_json_last_line_with_newline_is_torn_too(tmp_path: Path) -> None:
    path = _write(tmp_path, record("c1"))
    whole = path.read_bytes()
    with path.open("ab") as f:
        f.write(b"\x00\x00\x00\x00\n\n")  # what a crash can leave behind on some filesystems
    assert repair_results(tmp_path) == 6
    assert path.read_bytes() == whole


def test_complete_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_FILE
    path.write_bytes(
        (record("c1").model_dump_json() + "\n" + record("c2").model_dump_json()).encode()
    )
    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2"]
    assert repair_results(tmp_path) == 0
    assert path.read_bytes().endswith(b"}\n")
    _write(tmp_path, record("c3"))
    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2", "c3"]


def test_damage_in_the_middle_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_FILE
    lines = [record(f"c{i}").model_dump_json() for i in range(4)]
    lines[2] = lines[2][:40]  # a torn write that was then appended to
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = path.read_bytes()

    for action in (repair_results, completed_keys, lambda d: list(read_records(d))):
        with pytest.raises(ResultsCorruptError) as info:
            action(tmp_path)
        assert isinstance(info.value, HarnessError)
        assert info.value.line == 3
        assert f"{path}:3:" in str(info.value)
        assert "not a torn last write" in str(info.value)
    assert path.read_bytes() == before  # repair leaves damage for a person to look at


def test_a_foreign_json_object_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, record("c1"))
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"hello": "world"}) + "\n")
    with pytest.raises(ResultsCorruptError, match=r":2: not a valid record"):
        list(read_records(tmp_path))
    with pytest.raises(ResultsCorruptError, match=r":2: not a valid record"):
        completed_keys(tmp_path)
    assert repair_results(tmp_path) == 0  # valid JSON: not torn, nothing cut


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / RESULTS_FILE
    path.write_text(
        "\n" + record("c1").model_dump_json() + "\n\n" + record("c2").model_dump_json() + "\n\n"
    )
    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2"]
    assert repair_results(tmp_path) == 0


def test_writer_mends_a_torn_tail_before_appending(tmp_path: Path) -> None:
    path = _write(tmp_path, record("c1"))
    with path.open("ab") as f:
        f.write(b'{"schema_version":1,"run_id":"x","case_')
    with RecordWriter(tmp_path) as writer:  # a resumed run
        assert writer.repaired_bytes == 39
        writer.write(record("c2"))
    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2"]


def test_completed_keys(tmp_path: Path) -> None:
    boom = ErrorInfo(type="server_error", message="500", status=500)
    _write(
        tmp_path,
        record("c1", "fast", 0),
        record("c1", "fast", 1),
        record("c1", "slow", 0, error=boom),
        record("c2", "slow", 0, error=boom),
        record("c2", "slow", 0),  # a retried key: the later record wins
    )
    with (tmp_path / RESULTS_FILE).open("ab") as f:
        f.write(b'{"case_id": "c9", "adap')  # torn: not completed
    assert completed_keys(tmp_path) == {
        ("c1", "fast", 0),
        ("c1", "fast", 1),
        ("c1", "slow", 0),
        ("c2", "slow", 0),
    }
    assert completed_keys(tmp_path, include_errored=False) == {
        ("c1", "fast", 0),
        ("c1", "fast", 1),
        ("c2", "slow", 0),
    }
    assert completed_keys(tmp_path / "missing") == set()


def test_read_records_is_a_lazy_generator(tmp_path: Path) -> None:
    _write(tmp_path, *(record(f"c{i}") for i in range(3)))
    records = read_records(tmp_path)
    assert next(records).case_id == "c0"  # nothing is read ahead into a list
    assert iter(records) is records
    assert list(read_records(tmp_path / "missing")) == []


@pytest.mark.parametrize("policy", ["never", "close", "interval", "always"])
def test_fsync_policies_write_the_same_lines(tmp_path: Path, policy: str) -> None:
    with RecordWriter(tmp_path, fsync=policy, fsync_interval_s=0.0) as writer:  # type: ignore[arg-type]
        writer.write(record("c1"))
        writer.write(record("c2"))
    assert writer.closed
    assert [r.case_id for r in read_records(tmp_path)] == ["c1", "c2"]
    with pytest.raises(ValueError, match="closed"):
        writer.write(record("c3"))


def test_writer_stays_well_under_50_us_per_record(tmp_path: Path) -> None:
    rec = record(
        "greet[lang=fr,temperature=0.7]",
        output="Bonjour ! Comment allez-vous ? " * 10,
        chunk_offsets_ms=tuple(20.0 + 2 * i for i in range(50)),
        end_ms=130.0,
    )
    n = 2000
    best = float("inf")
    with RecordWriter(tmp_path) as writer:
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                writer.write(rec)
            best = min(best, (time.perf_counter() - start) / n)
    assert best < 50e-6, f"{best * 1e6:.1f} µs per record"
