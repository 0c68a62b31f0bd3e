"""A run's folder on disk: append-only ``results.jsonl`` flushed per record, and ``run.json``.

Records are written the moment they exist, so a crash or Ctrl-C loses only requests in
flight. A kill can cut the last write short; such a *torn* last line is skipped by every
reader and removed by :func:`repair_results` (and by :class:`RecordWriter` before it appends,
so a resumed run never glues a new record onto half of an old one). An invalid line with
records after it is not a torn write but damage, and is reported with its line number.

Layout of ``<output-dir>/<run-id>/``: ``results.jsonl`` (one CaseRecord per line),
``run.json`` (RunManifest), and optionally ``cassette.jsonl`` (see ``harness.records.cassette``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.records.jsonl import (
    FsyncPolicy,
    JsonlAppender,
    ResultsCorruptError,
    iter_jsonl,
    json_object,
    repair_jsonl,
    scan_lines,
    write_json_atomic,
)
from harness.records.models import CaseRecord, RunManifest
from harness.records.redaction import Redactor

__all__ = [
    "CASSETTE_FILE",
    "DuplicateRecords",
    "FsyncPolicy",
    "JsonlAppender",
    "MANIFEST_FILE",
    "RESULTS_FILE",
    "RecordKey",
    "RecordWriter",
    "ResultsCorruptError",
    "completed_keys",
    "find_duplicates",
    "has_records",
    "iter_jsonl",
    "read_manifest",
    "read_records",
    "record_key",
    "repair_jsonl",
    "repair_results",
    "write_manifest",
]

RESULTS_FILE = "results.jsonl"
MANIFEST_FILE = "run.json"
CASSETTE_FILE = "cassette.jsonl"

#: (case_id, adapter, repeat): what a run plans and what resume skips.
RecordKey = tuple[str, str, int]


# -- reading ---------------------------------------------------------------------------------


def read_records(run_dir: Path) -> Iterator[CaseRecord]:
    """Yield the records of a run in file order; a torn last line is skipped.

    A generator: memory stays flat however many records the run holds.

    Raises:
        ResultsCorruptError: a damaged line that is not the last one, or a foreign record.
    """
    return iter_jsonl(run_dir / RESULTS_FILE, CaseRecord.model_validate_json)


def record_key(raw: bytes) -> tuple[RecordKey, bool]:
    data = json_object(raw)
    case_id, adapter, repeat = data.get("case_id"), data.get("adapter"), data.get("repeat", 0)
    if (
        not isinstance(case_id, str)
        or not isinstance(adapter, str)
        or not isinstance(repeat, int)
        or isinstance(repeat, bool)
    ):
        # a JSON object, but not a record: reported by scan_lines as a foreign line
        raise ValueError("missing or mistyped case_id, adapter or repeat")
    return (case_id, adapter, repeat), data.get("error") is None


def completed_keys(run_dir: Path, *, include_errored: bool = True) -> set[RecordKey]:
    """The (case_id, adapter, repeat) keys already in ``results.jsonl``: what resume skips.

    Streams the file; memory grows with the number of distinct keys only. When a key occurs
    more than once the last record wins (as everywhere). ``include_errored=False`` leaves out
    keys whose last record is an error, so a resume sends those again.

    Raises:
        ResultsCorruptError: a damaged line that is not the last one.
    """
    path = run_dir / RESULTS_FILE
    if not path.exists():
        return set()
    if include_errored:
        return {key for _, _, _, (key, _) in scan_lines(path, record_key)}
    ok: dict[RecordKey, bool] = {}
    for _, _, _, (key, good) in scan_lines(path, record_key):
        ok[key] = good
    return {key for key, good in ok.items() if good}


@dataclass(frozen=True)
class DuplicateRecords:
    """Records of ``results.jsonl`` whose key (case_id, adapter, repeat) occurs again later.

    Every reader keeps the *last* record of a key (as ``summarize`` and resume do); the
    earlier ones are superseded. Resuming an interrupted request can leave one; an appended
    second run leaves many.
    """

    superseded: int = 0  # records that a later record with the same key replaces
    keys: int = 0  # distinct keys that occur more than once
    example: RecordKey | None = None  # the first key found twice

    def __bool__(self) -> bool:
        return self.superseded > 0

    def describe(self) -> str:
        """One sentence naming the count and an example key, for a warning."""
        if self.example is None:
            return "no duplicate records"
        case_id, adapter, repeat = self.example
        return (
            f"{self.superseded} record(s) superseded: {self.keys} (case_id, adapter, repeat) "
            f"key(s) occur more than once, e.g. ({case_id!r}, {adapter!r}, {repeat}); "
            "the latest record of each key is used"
        )


def find_duplicates(run_dir: Path) -> DuplicateRecords:
    """Count the records of ``results.jsonl`` superseded by a later one with the same key.

    Streams the file; memory grows with the number of distinct keys only.

    Raises:
        ResultsCorruptError: a damaged line that is not the last one.
    """
    path = run_dir / RESULTS_FILE
    if not path.exists():
        return DuplicateRecords()
    seen: set[RecordKey] = set()
    twice: set[RecordKey] = set()
    superseded = 0
    example: RecordKey | None = None
    for _, _, _, (key, _) in scan_lines(path, record_key):
        if key in seen:
            superseded += 1
            twice.add(key)
            example = example or key
        else:
            seen.add(key)
    return DuplicateRecords(superseded, len(twice), example)


def has_records(run_dir: Path) -> bool:
    """Whether ``results.jsonl`` holds at least one line that is not blank (cheap: no parsing)."""
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return any(line.strip() for line in f)


# -- repairing -------------------------------------------------------------------------------


def repair_results(run_dir: Path) -> int:
    """Cut a torn last record off ``results.jsonl`` (see :func:`repair_jsonl`); bytes removed.

    Call it before resuming into ``run_dir``; :class:`RecordWriter` also mends the tail when
    it opens, but only this full scan finds damage in the middle of the file.
    """
    return repair_jsonl(run_dir / RESULTS_FILE)


# -- writing ---------------------------------------------------------------------------------


class RecordWriter(JsonlAppender):
    """Appends CaseRecords to ``results.jsonl``, one line each, handed to the OS per record.

    On the runner's hot path: one serialisation and one ``write`` per record (about 10 µs
    for a typical record). Not thread-safe: write from one thread (the event loop). Every
    string of a record (output, reasons, errors) passes through ``redactor`` on its way out.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        fsync: FsyncPolicy = "close",
        fsync_interval_s: float = 1.0,
        redactor: Redactor | None = None,
    ) -> None:
        super().__init__(run_dir / RESULTS_FILE, fsync=fsync, fsync_interval_s=fsync_interval_s)
        self.redactor = redactor or Redactor()

    def write(self, record: CaseRecord) -> None:
        self.write_line(self.redactor.json_bytes(record))

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- manifest --------------------------------------------------------------------------------


def write_manifest(run_dir: Path, manifest: RunManifest, redactor: Redactor | None = None) -> None:
    """Write ``run.json`` atomically (temp file + rename), so readers never see half of it;
    every string scrubbed of ``redactor``'s secrets."""
    run_dir.mkdir(parents=True, exist_ok=True)
    data = manifest.model_dump(mode="json")
    write_json_atomic(run_dir / MANIFEST_FILE, redactor.value(data) if redactor else data)


def read_manifest(run_dir: Path) -> RunManifest:
    return RunManifest.model_validate_json((run_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
